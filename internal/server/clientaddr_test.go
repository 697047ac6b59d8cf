package server

import (
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestParseTrustedProxies(t *testing.T) {
	for _, tc := range []struct {
		list string
		want []string
	}{
		{"", nil},
		{"10.0.0.0/8,127.0.0.1", []string{"10.0.0.0/8", "127.0.0.1/32"}},
		{" 10.0.0.0/8 , ,192.168.1.7, ", []string{"10.0.0.0/8", "192.168.1.7/32"}},
		{"2001:db8::/32,::1", []string{"2001:db8::/32", "::1/128"}},
		{"::ffff:10.0.0.1", []string{"10.0.0.1/32"}},
		{"::ffff:10.0.0.0/104", []string{"10.0.0.0/8"}},
	} {
		got, err := ParseTrustedProxies(tc.list)
		if err != nil {
			t.Errorf("ParseTrustedProxies(%q): %v", tc.list, err)
			continue
		}
		if len(got) != len(tc.want) {
			t.Errorf("ParseTrustedProxies(%q) = %v, want %v", tc.list, got, tc.want)
			continue
		}
		for i := range got {
			if got[i].String() != tc.want[i] {
				t.Errorf("ParseTrustedProxies(%q)[%d] = %s, want %s", tc.list, i, got[i], tc.want[i])
			}
		}
	}
}

func TestParseTrustedProxiesRejects(t *testing.T) {
	for _, list := range []string{
		"10.0.0.0/33",
		"10.0.0.1/8",
		"localhost",
		"10.0.0.0/8;127.0.0.1",
		"10.0.0",
		"fe80::1%eth0",
		"127.0.0.1:8080",
		"10.0.0.0/8,proxy.internal",
	} {
		_, err := ParseTrustedProxies(list)
		if err == nil {
			t.Errorf("ParseTrustedProxies(%q): got no error, want one", list)
			continue
		}
		bad := list
		if i := strings.IndexByte(list, ','); i >= 0 {
			bad = list[i+1:]
		}
		if !strings.Contains(err.Error(), bad) {
			t.Errorf("ParseTrustedProxies(%q): error %q does not name the entry %q", list, err, bad)
		}
	}
	_, err := ParseTrustedProxies("10.0.0.1/8")
	if err == nil || !strings.Contains(err.Error(), "10.0.0.0/8") {
		t.Errorf("got error %v, want it to suggest 10.0.0.0/8", err)
	}
}

func TestClientAddr(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.0/8,192.0.2.1,2001:db8:ffff::/48")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{trustedProxies: trusted}
	for _, tc := range []struct {
		name string
		peer string
		xff  []string // one element per header line
		want string
	}{
		{"untrusted peer without header", "203.0.113.5:5000", nil, "203.0.113.5"},
		{"untrusted peer with spoofed header", "203.0.113.5:5000", []string{"198.51.100.9"}, "203.0.113.5"},
		{"untrusted peer claiming to be a proxy", "203.0.113.5:5000", []string{"198.51.100.9, 10.0.0.2"}, "203.0.113.5"},
		{"trusted peer without header", "10.0.0.2:5000", nil, "10.0.0.2"},
		{"trusted peer with empty header", "10.0.0.2:5000", []string{""}, "10.0.0.2"},
		{"trusted peer", "10.0.0.2:5000", []string{"198.51.100.9"}, "198.51.100.9"},
		{"right-most untrusted wins", "10.0.0.2:5000", []string{"1.1.1.1, 198.51.100.9"}, "198.51.100.9"},
		{"client forges the left", "10.0.0.2:5000", []string{"127.0.0.1, 10.9.9.9, 198.51.100.9"}, "198.51.100.9"},
		{"chain of proxies", "10.0.0.2:5000", []string{"198.51.100.9, 192.0.2.1, 10.3.3.3"}, "198.51.100.9"},
		{"chain over header lines", "10.0.0.2:5000", []string{"203.0.113.77, 198.51.100.9", "192.0.2.1", "10.3.3.3"}, "198.51.100.9"},
		{"all trusted takes the left-most", "10.0.0.2:5000", []string{"10.1.1.1, 192.0.2.1, 10.3.3.3"}, "10.1.1.1"},
		{"garbage right-most keeps the peer", "10.0.0.2:5000", []string{"198.51.100.9, unknown"}, "10.0.0.2"},
		{"garbage stops the walk", "10.0.0.2:5000", []string{"198.51.100.9, _hidden, 10.3.3.3"}, "10.3.3.3"},
		{"garbage left of the client", "10.0.0.2:5000", []string{"not-an-ip, 198.51.100.9"}, "198.51.100.9"},
		{"empty entry stops the walk", "10.0.0.2:5000", []string{"198.51.100.9, , 10.3.3.3"}, "10.3.3.3"},
		{"leading zeros are garbage", "10.0.0.2:5000", []string{"198.051.100.9"}, "10.0.0.2"},
		{"IPv4 with port", "10.0.0.2:5000", []string{"198.51.100.9:4711"}, "198.51.100.9"},
		{"IPv6", "10.0.0.2:5000", []string{"2001:db8:1:2::7"}, "2001:db8:1:2::7"},
		{"IPv6 with port", "10.0.0.2:5000", []string{"[2001:db8:1:2::7]:4711"}, "2001:db8:1:2::7"},
		{"IPv6 in brackets", "10.0.0.2:5000", []string{"[2001:db8:1:2::7]"}, "2001:db8:1:2::7"},
		{"IPv6 zone dropped", "10.0.0.2:5000", []string{"fe80::7%eth0"}, "fe80::7"},
		{"IPv4-mapped entry", "10.0.0.2:5000", []string{"::ffff:198.51.100.9"}, "198.51.100.9"},
		{"IPv4-mapped trusted entry skipped", "10.0.0.2:5000", []string{"198.51.100.9, ::ffff:10.3.3.3"}, "198.51.100.9"},
		{"IPv4-mapped peer", "[::ffff:10.0.0.2]:5000", []string{"198.51.100.9"}, "198.51.100.9"},
		{"IPv6 peer untrusted", "[2001:db8:1::5]:5000", []string{"198.51.100.9"}, "2001:db8:1::5"},
		{"IPv6 peer trusted", "[2001:db8:ffff::5]:5000", []string{"198.51.100.9"}, "198.51.100.9"},
		{"IPv6 peer with zone", "[fe80::5%eth0]:5000", nil, "fe80::5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := s.clientAddr(r); got.String() != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestClientAddrTrustsNobodyByDefault(t *testing.T) {
	s := &Server{}
	r := httptest.NewRequest("GET", "/", nil)
	r.RemoteAddr = "127.0.0.1:5000"
	r.Header.Set("X-Forwarded-For", "198.51.100.9")
	if got := s.clientAddr(r); got != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("got %s, want the peer 127.0.0.1", got)
	}
}

func TestClientKey(t *testing.T) {
	s := &Server{}
	for _, tc := range []struct {
		peer string
		want string
	}{
		{"198.51.100.9:5000", "198.51.100.9"},
		{"[::ffff:198.51.100.9]:5000", "198.51.100.9"},
		{"[2001:db8:1:2:aaaa:bbbb:cccc:dddd]:5000", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2::7]:5000", "2001:db8:1:2::/64"},
		{"[2001:db8:1:3::7]:5000", "2001:db8:1:3::/64"},
		{"[::1]:5000", "::/64"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.peer
		if got := s.clientKey(r); got != tc.want {
			t.Errorf("clientKey with peer %s = %q, want %q", tc.peer, got, tc.want)
		}
	}
}

func TestFromThisMachine(t *testing.T) {
	for _, tc := range []struct {
		name   string
		peer   string
		header map[string]string
		want   bool
	}{
		{"loopback peer", "127.0.0.1:5000", nil, true},
		{"IPv6 loopback peer", "[::1]:5000", nil, true},
		{"remote peer", "203.0.113.5:5000", nil, false},
		{"remote peer claiming loopback", "203.0.113.5:5000", map[string]string{"X-Forwarded-For": "127.0.0.1"}, false},
		{"local proxy for a local client", "127.0.0.1:5000", map[string]string{"X-Forwarded-For": "127.0.0.1, ::1"}, true},
		{"local proxy for a remote client", "127.0.0.1:5000", map[string]string{"X-Forwarded-For": "203.0.113.5"}, false},
		{"local proxy after a forged entry", "127.0.0.1:5000", map[string]string{"X-Forwarded-For": "127.0.0.1, 203.0.113.5"}, false},
		{"garbage forwarded entry", "127.0.0.1:5000", map[string]string{"X-Forwarded-For": "unknown"}, false},
		{"X-Real-IP of a remote client", "127.0.0.1:5000", map[string]string{"X-Real-IP": "203.0.113.5"}, false},
		{"Forwarded header", "127.0.0.1:5000", map[string]string{"Forwarded": "for=127.0.0.1"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.peer
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			if got := fromThisMachine(r); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLocalRequest(t *testing.T) {
	for _, tc := range []struct {
		name string
		peer string
		host string
		want bool
	}{
		{"loopback address", "127.0.0.1:5000", "127.0.0.1:8080", true},
		{"localhost", "127.0.0.1:5000", "localhost:8080", true},
		{"IPv6 loopback with port", "[::1]:5000", "[::1]:8080", true},
		{"IPv6 loopback without port", "[::1]:5000", "[::1]", true},
		{"foreign name", "127.0.0.1:5000", "evil.example", false},
		{"foreign name with port", "127.0.0.1:5000", "evil.example:8080", false},
		{"name that starts like localhost", "127.0.0.1:5000", "localhost.evil.example", false},
		{"remote peer", "203.0.113.5:5000", "localhost:8080", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr, r.Host = tc.peer, tc.host
			if got := localRequest(r); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
}
