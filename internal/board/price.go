package board

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxPriceCents is the largest price accepted: $100,000,000.00. Anything
// above is far more likely a typo than a classified ad.
const MaxPriceCents = 100_000_000_00

var (
	errPrice        = errors.New("enter a price like 1200, $1,200.50 or free")
	errPriceTooHigh = errors.New("price is too high: the maximum is $100,000,000")
)

// ParsePrice reads a price the way people type it: "1200", "1,200",
// "$1,200.50", " $ 5 ", "free" (zero). It returns nil for an empty string.
// Negative numbers, exponents, more than two decimals, misplaced commas and
// prices above MaxPriceCents are errors, never silently adjusted.
func ParsePrice(s string) (*int64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if strings.EqualFold(s, "free") || strings.EqualFold(s, "$0") {
		zero := int64(0)
		return &zero, nil
	}
	s = strings.TrimSpace(strings.TrimPrefix(s, "$"))
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || (hasFrac && (len(frac) == 0 || len(frac) > 2)) {
		return nil, errPrice
	}
	if strings.Contains(whole, ",") {
		groups := strings.Split(whole, ",")
		if len(groups[0]) == 0 || len(groups[0]) > 3 {
			return nil, errPrice
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return nil, errPrice
			}
		}
		whole = strings.Join(groups, "")
	}
	var dollars int64
	for _, r := range whole {
		if r < '0' || r > '9' {
			return nil, errPrice
		}
		dollars = dollars*10 + int64(r-'0')
		if dollars > MaxPriceCents/100 {
			return nil, errPriceTooHigh
		}
	}
	cents := dollars * 100
	for i, r := range frac + "00"[len(frac):] {
		if r < '0' || r > '9' {
			return nil, errPrice
		}
		if i == 0 {
			cents += int64(r-'0') * 10
		} else {
			cents += int64(r - '0')
		}
	}
	if cents > MaxPriceCents {
		return nil, errPriceTooHigh
	}
	return &cents, nil
}

// FormatPrice renders cents for people: "$1,200", "$1,200.50" or "Free".
func FormatPrice(cents int64) string {
	if cents == 0 {
		return "Free"
	}
	s := strconv.FormatInt(cents/100, 10)
	var out strings.Builder
	out.WriteByte('$')
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out.WriteByte(',')
		}
		out.WriteRune(c)
	}
	if rest := cents % 100; rest != 0 {
		fmt.Fprintf(&out, ".%02d", rest)
	}
	return out.String()
}
