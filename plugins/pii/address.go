package pii

// scanAddresses appends street addresses to c.
func scanAddresses(text string, o *Options, c []Span) []Span {
	return c
}
