package server

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ParseTrustedProxies parses a comma-separated list of IP addresses and
// CIDR ranges, such as "10.0.0.0/8,127.0.0.1". Spaces around entries and
// empty entries are ignored, and IPv4-mapped IPv6 entries become IPv4. The
// error names the first entry that is neither an address nor a range.
func ParseTrustedProxies(list string) ([]netip.Prefix, error) {
	var prefixes []netip.Prefix
	for _, entry := range strings.Split(list, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		p, err := parseProxyPrefix(entry)
		if err != nil {
			return nil, err
		}
		prefixes = append(prefixes, p)
	}
	return prefixes, nil
}

func parseProxyPrefix(entry string) (netip.Prefix, error) {
	if !strings.Contains(entry, "/") {
		a, err := netip.ParseAddr(entry)
		if err != nil || a.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("invalid entry %q: want an IP address or a CIDR range, like 127.0.0.1 or 10.0.0.0/8", entry)
		}
		a = a.Unmap()
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(entry)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("invalid entry %q: want a CIDR range, like 10.0.0.0/8 or fd00::/8", entry)
	}
	// A range such as 10.0.0.1/8 is more likely a typing error than a
	// wish to trust all of 10.0.0.0/8, so it is rejected.
	if p != p.Masked() {
		return netip.Prefix{}, fmt.Errorf("invalid entry %q: host bits are set, so write %s for the range or %s for one address",
			entry, p.Masked(), p.Addr())
	}
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p, nil
}

// clientAddr returns the address of the client that sent r.
//
// It is the connection's peer unless the peer is a trusted proxy. Each
// proxy appends the address it received the request from to
// X-Forwarded-For, so the entries are read from right to left, skipping
// trusted proxies, and the first untrusted address is the client. Entries
// further left were written by that client and may be forged. An entry
// that does not parse as an address stops the walk, and the last address
// read is used. When every entry is trusted, the left-most one is used.
//
// The Forwarded header (RFC 7239) is not read: a proxy that sets only
// X-Forwarded-For passes a client's Forwarded header on unchanged, so
// believing it would let clients choose their own address.
func (s *Server) clientAddr(r *http.Request) netip.Addr {
	client := peerAddr(r)
	if !s.trusted(client) {
		return client
	}
	entries := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(entries) - 1; i >= 0; i-- {
		a, ok := parseForwardedAddr(entries[i])
		if !ok {
			break
		}
		client = a
		if !s.trusted(a) {
			break
		}
	}
	return client
}

// clientKey returns the rate-limit key of the client that sent r: the
// client address for IPv4, and its /64 network for IPv6, because one
// home or phone usually holds a whole /64 and can change addresses in it
// at will.
//
// NOTE: many providers give a home a /56 or a /48, so one household can
// still spread its requests over several /64 buckets.
func (s *Server) clientKey(r *http.Request) string {
	a := s.clientAddr(r)
	if a.Is6() {
		network, _ := a.Prefix(64)
		return network.String()
	}
	return a.String()
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.trustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// peerAddr returns the address of the connection's peer without port or
// zone, IPv4-mapped IPv6 as IPv4, or the zero Addr when r.RemoteAddr is
// not ip:port.
func peerAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap().WithZone("")
}

// parseForwardedAddr parses one X-Forwarded-For entry: an IPv4 or IPv6
// address, optionally with a port ("192.0.2.7:4711", "[2001:db8::7]:4711")
// or in brackets. It drops the port and zone and turns IPv4-mapped IPv6
// into IPv4.
func parseForwardedAddr(entry string) (netip.Addr, bool) {
	entry = strings.TrimSpace(entry)
	if inner, ok := strings.CutPrefix(entry, "["); ok && strings.HasSuffix(inner, "]") {
		entry = strings.TrimSuffix(inner, "]")
	}
	a, err := netip.ParseAddr(entry)
	if err != nil {
		ap, err := netip.ParseAddrPort(entry)
		if err != nil {
			return netip.Addr{}, false
		}
		a = ap.Addr()
	}
	return a.Unmap().WithZone(""), true
}

// localRequest reports whether r came from a program on this machine and
// names this machine in its Host header. The Host check stops a web page
// that rebinds its own domain to 127.0.0.1, because the browser still
// sends that domain as the Host.
func localRequest(r *http.Request) bool {
	host := r.Host
	if h, _, err := net.SplitHostPort(r.Host); err == nil {
		host = h
	}
	hostIP := net.ParseIP(strings.Trim(host, "[]"))
	return fromThisMachine(r) && (host == "localhost" || hostIP != nil && hostIP.IsLoopback())
}

// fromThisMachine reports whether r came from a program on this machine:
// the peer is a loopback address and no proxy forwarded the request from
// elsewhere. A proxy on this machine connects from loopback too, so every
// X-Forwarded-For and X-Real-IP entry must be a loopback address as well,
// and a Forwarded header, which is not parsed, makes the request remote.
// The trusted-proxy setting plays no part: these headers can only make a
// request count as remote, never as local.
func fromThisMachine(r *http.Request) bool {
	if !peerAddr(r).IsLoopback() {
		return false
	}
	if len(r.Header.Values("Forwarded")) > 0 {
		return false
	}
	for _, name := range []string{"X-Forwarded-For", "X-Real-IP"} {
		for _, value := range r.Header.Values(name) {
			for _, entry := range strings.Split(value, ",") {
				if a, ok := parseForwardedAddr(entry); !ok || !a.IsLoopback() {
					return false
				}
			}
		}
	}
	return true
}
