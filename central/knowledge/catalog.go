package knowledge

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/kefu-io/kefu/central/knowledge/ingest"
	"github.com/kefu-io/kefu/chat"
)

// Product is one catalogue item: a variant (SKU) of a product.
type Product struct {
	SKU      string `json:"sku"`
	Name     string `json:"name"`
	Variant  string `json:"variant,omitempty"`
	Color    string `json:"color,omitempty"`
	Size     string `json:"size,omitempty"`
	Stock    int    `json:"stock"`
	Price    string `json:"price,omitempty"`
	Currency string `json:"currency,omitempty"`
	Promo    string `json:"promo,omitempty"`
	URL      string `json:"url,omitempty"`
	Image    string `json:"image,omitempty"`
	// Product groups the variants of one product (default: Name).
	Product string `json:"product,omitempty"`
	// Attrs are the other columns of the import.
	Attrs map[string]string `json:"attrs,omitempty"`
}

// Check reports what makes a product unusable.
func (p *Product) Check() error {
	switch {
	case strings.TrimSpace(p.SKU) == "":
		return fmt.Errorf("empty sku")
	case len(p.SKU) > 200:
		return fmt.Errorf("sku over 200 bytes")
	case strings.TrimSpace(p.Name) == "":
		return fmt.Errorf("sku %q: empty name", p.SKU)
	case p.Stock < 0:
		return fmt.Errorf("sku %q: negative stock", p.SKU)
	}
	if p.Price != "" {
		if _, err := strconv.ParseFloat(p.Price, 64); err != nil {
			return fmt.Errorf("sku %q: price %q is not a number", p.SKU, p.Price)
		}
	}
	return nil
}

// catalog answers product questions.
type catalog struct {
	bySKU     map[string]*Product
	byProduct map[string][]*Product
	names     []string // product group keys, longest first
}

func productKey(p *Product) string {
	if p.Product != "" {
		return strings.ToLower(p.Product)
	}
	return strings.ToLower(p.Name)
}

func newCatalog(items []Product) *catalog {
	c := &catalog{bySKU: map[string]*Product{}, byProduct: map[string][]*Product{}}
	for i := range items {
		p := &items[i]
		c.bySKU[strings.ToLower(p.SKU)] = p
		k := productKey(p)
		if _, ok := c.byProduct[k]; !ok {
			c.names = append(c.names, k)
		}
		c.byProduct[k] = append(c.byProduct[k], p)
	}
	sort.Slice(c.names, func(i, j int) bool { return len(c.names[i]) > len(c.names[j]) })
	return c
}

// productWords signal a question about a product's stock, price or promotion.
var productWords = []string{"stock", "available", "availability", "in size", "sold out", "price", "cost", "how much", "promo",
	"discount", "sale", "deal", "有货", "库存", "还有", "有没有", "现货", "价格", "多少钱", "几钱", "优惠", "打折", "折扣", "促销", "尺码", "颜色"}

var colorWords = map[string][]string{
	"red": {"红"}, "blue": {"蓝"}, "black": {"黑"}, "white": {"白"}, "green": {"绿"}, "grey": {"灰", "gray"},
	"navy": {"藏青", "海军蓝"}, "pink": {"粉"}, "beige": {"米色", "米白"}, "yellow": {"黄"}, "brown": {"棕", "咖啡"},
	"silver": {"银"}, "gold": {"金"}, "purple": {"紫"}, "orange": {"橙"},
}

// answer answers a stock/price/promotion question about a product the
// question names or the page the shopper is on.
func (c *catalog) answer(q Question, lang string) (Answer, bool) {
	if c == nil || len(c.bySKU) == 0 {
		return Answer{}, false
	}
	low := strings.ToLower(q.Text)
	asks := q.Intent == "stock_availability"
	for _, w := range productWords {
		if strings.Contains(low, w) {
			asks = true
			break
		}
	}
	if !asks {
		return Answer{}, false // before the product look-up: most questions are not about a product
	}
	var group []*Product
	for _, n := range c.names {
		if containsAlias(low, n, hasHan(n)) {
			group = c.byProduct[n]
			break
		}
	}
	if group == nil && q.SKU != "" {
		if p := c.bySKU[strings.ToLower(q.SKU)]; p != nil {
			group = c.byProduct[productKey(p)]
		}
	}
	if group == nil {
		return Answer{}, false
	}
	// Narrow to the variants the question names (colour, size).
	pick := group
	if m := filter(pick, func(p *Product) bool { return p.Color != "" && mentionsColor(low, p.Color) }); len(m) > 0 {
		pick = m
	}
	if m := filter(pick, func(p *Product) bool { return p.Size != "" && mentionsSize(low, p.Size) }); len(m) > 0 {
		pick = m
	}
	zh := primary(lang) == "zh"
	var b strings.Builder
	if len(pick) == 1 || len(pick) <= 4 {
		for i, p := range pick {
			if i > 0 {
				b.WriteString(" ")
			}
			b.WriteString(describe(p, zh))
		}
	} else {
		in := 0
		var sizes []string
		for _, p := range pick {
			if p.Stock > 0 {
				in++
				if p.Size != "" && !slicesContains(sizes, p.Size) {
					sizes = append(sizes, p.Size)
				}
			}
		}
		if zh {
			fmt.Fprintf(&b, "%s 共有 %d 个款式，其中 %d 个有货", pick[0].Name, len(pick), in)
			if len(sizes) > 0 {
				fmt.Fprintf(&b, "（有货尺码：%s）", strings.Join(sizes, "、"))
			}
			b.WriteString("。请告诉我您想要的颜色和尺码。")
		} else {
			fmt.Fprintf(&b, "%s comes in %d variants, %d of them in stock", pick[0].Name, len(pick), in)
			if len(sizes) > 0 {
				fmt.Fprintf(&b, " (sizes in stock: %s)", strings.Join(sizes, ", "))
			}
			b.WriteString(". Tell me the colour and size you want and I'll check it.")
		}
	}
	p := pick[0]
	card := &chat.Card{SKU: p.SKU, Name: p.Name, Variant: variantOf(p), Image: p.Image, Price: p.Price, Currency: p.Currency, Stock: p.Stock, Promo: p.Promo, URL: p.URL}
	return Answer{Kind: AnswerProduct, Text: b.String(), Lang: lang, Confidence: 1, Card: card,
		Sources: []Source{{Doc: "catalog:" + p.SKU, Title: p.Name}}}, true
}

func variantOf(p *Product) string {
	if p.Variant != "" {
		return p.Variant
	}
	return strings.Trim(p.Color+" / "+p.Size, " /")
}

func describe(p *Product, zh bool) string {
	v := variantOf(p)
	price := strings.TrimSpace(p.Price + " " + p.Currency)
	if zh {
		s := p.Name
		if v != "" {
			s += "（" + v + "）"
		}
		if p.Stock > 0 {
			s += fmt.Sprintf("有货，库存 %d 件", p.Stock)
		} else {
			s += "目前缺货"
		}
		if price != "" {
			s += "，价格 " + price
		}
		if p.Promo != "" {
			s += "，优惠：" + p.Promo
		}
		return s + "。"
	}
	s := p.Name
	if v != "" {
		s += " (" + v + ")"
	}
	if p.Stock > 0 {
		s += fmt.Sprintf(" is in stock (%d left)", p.Stock)
	} else {
		s += " is out of stock right now"
	}
	if price != "" {
		s += ", price " + price
	}
	if p.Promo != "" {
		s += ", promotion: " + p.Promo
	}
	return s + "."
}

func filter(ps []*Product, f func(*Product) bool) []*Product {
	var out []*Product
	for _, p := range ps {
		if f(p) {
			out = append(out, p)
		}
	}
	return out
}

func mentionsColor(low, color string) bool {
	c := strings.ToLower(color)
	if containsAlias(low, c, hasHan(c)) {
		return true
	}
	for _, w := range colorWords[c] {
		if strings.Contains(low, w) {
			return true
		}
	}
	return false
}

func mentionsSize(low, size string) bool {
	s := strings.ToLower(size)
	if hasHan(s) {
		return strings.Contains(low, s)
	}
	// "size m", "in m", "m码", "尺码m", " m "
	if strings.Contains(low, s+"码") || strings.Contains(low, "码"+s) || strings.Contains(low, "size "+s) {
		return true
	}
	return len(s) > 1 && containsAlias(low, s, false) || containsAlias(low, "size "+s, false) || containsAlias(low, "in "+s, false)
}

// CatalogColumns are the columns a catalogue CSV must name.
var CatalogColumns = []string{"sku", "name", "variant", "color", "size", "stock", "price", "currency", "promo", "url"}

// ParseCatalogCSV reads a catalogue CSV: a header row naming at least
// CatalogColumns (product and image are optional; every other column is
// kept in Attrs), then one row per SKU. A SKU may appear once.
func ParseCatalogCSV(data []byte) ([]Product, error) {
	rows, err := ingest.ReadCSV(data)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, errors.New("empty file: a header row is required")
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	var missing []string
	for _, c := range CatalogColumns {
		if _, ok := col[c]; !ok {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("header lacks %s (needs at least %s)", strings.Join(missing, ","), strings.Join(CatalogColumns, ","))
	}
	var out []Product
	seen := map[string]int{}
	for n, r := range rows[1:] {
		get := func(c string) string {
			if i, ok := col[c]; ok && i < len(r) {
				return strings.TrimSpace(r[i])
			}
			return ""
		}
		if strings.Join(r, "") == "" {
			continue
		}
		p := Product{SKU: get("sku"), Name: get("name"), Variant: get("variant"), Color: get("color"), Size: get("size"),
			Price: get("price"), Currency: get("currency"), Promo: get("promo"), URL: get("url"), Image: get("image"), Product: get("product")}
		if s := get("stock"); s != "" {
			v, err := strconv.Atoi(s)
			if err != nil {
				return nil, fmt.Errorf("row %d: stock %q is not a whole number", n+2, s)
			}
			p.Stock = v
		}
		for name, i := range col {
			if !slices.Contains(CatalogColumns, name) && name != "image" && name != "product" && i < len(r) && r[i] != "" {
				if p.Attrs == nil {
					p.Attrs = map[string]string{}
				}
				p.Attrs[name] = r[i]
			}
		}
		if err := p.Check(); err != nil {
			return nil, fmt.Errorf("row %d: %w", n+2, err)
		}
		if first, dup := seen[strings.ToLower(p.SKU)]; dup {
			return nil, fmt.Errorf("row %d: sku %q repeats row %d", n+2, p.SKU, first)
		}
		seen[strings.ToLower(p.SKU)] = n + 2
		out = append(out, p)
	}
	return out, nil
}
