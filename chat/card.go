package chat

// Card is a product card a bot answer carries: the widget renders it under
// the text (as text and a link, never as HTML).
type Card struct {
	SKU      string `json:"sku"`
	Name     string `json:"name"`
	Variant  string `json:"variant,omitempty"`
	Image    string `json:"image,omitempty"`
	Price    string `json:"price,omitempty"`
	Currency string `json:"currency,omitempty"`
	Stock    int    `json:"stock"`
	Promo    string `json:"promo,omitempty"`
	URL      string `json:"url,omitempty"`
}

// Citation names the knowledge passage a bot answer came from.
type Citation struct {
	Doc     string `json:"doc"`
	Title   string `json:"title"`
	Version int    `json:"version,omitempty"`
	Passage string `json:"passage,omitempty"`
}
