package knowledge

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

const catalogHeader = "sku,name,variant,color,size,stock,price,currency,promo,url,product,material\n"

func TestParseCatalogCSV(t *testing.T) {
	ps, err := ParseCatalogCSV([]byte(catalogHeader +
		"J-RED-M,Storm Jacket,red / M,red,M,3,169.00,USD,-15%,https://s.example/j,Storm Jacket,nylon\n" +
		"J-RED-L,Storm Jacket,red / L,red,L,0,169.00,USD,,https://s.example/j,Storm Jacket,\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) != 2 || ps[0].Stock != 3 || ps[0].Attrs["material"] != "nylon" || ps[1].Attrs != nil {
		t.Fatalf("%+v", ps)
	}
	bad := []struct{ name, csv, want string }{
		{"missing column", "sku,name\nA,B\n", "header lacks"},
		{"bad stock", catalogHeader + "A,B,,,,many,1,USD,,,,\n", "not a whole number"},
		{"negative stock", catalogHeader + "A,B,,,,-2,1,USD,,,,\n", "negative stock"},
		{"bad price", catalogHeader + "A,B,,,,1,cheap,USD,,,,\n", "not a number"},
		{"no name", catalogHeader + "A,,,,,1,1,USD,,,,\n", "empty name"},
		{"duplicate sku", catalogHeader + "A,B,,,,1,1,USD,,,,\na,B,,,,1,1,USD,,,,\n", "repeats row 2"},
		{"empty", "", "header row"},
	}
	for _, tt := range bad {
		if _, err := ParseCatalogCSV([]byte(tt.csv)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
}

// TestProductAnswers: the variant the question names (colour, size; in
// English or Chinese), or the product page's SKU, decides the stock given.
func TestProductAnswers(t *testing.T) {
	ps, err := ParseCatalogCSV([]byte(catalogHeader +
		"J-RED-M,Storm Jacket,red / M,red,M,3,169.00,USD,,https://s.example/j,Storm Jacket,\n" +
		"J-RED-L,Storm Jacket,red / L,red,L,0,169.00,USD,,https://s.example/j,Storm Jacket,\n" +
		"J-BLU-M,Storm Jacket,blue / M,blue,M,9,169.00,USD,,https://s.example/j,Storm Jacket,\n"))
	if err != nil {
		t.Fatal(err)
	}
	h := NewHub(HubOptions{})
	defer h.Close()
	if err := h.Load(context.Background(), "t", nil, ps); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ q, sku, want string }{
		{"is the storm jacket in red size M in stock?", "", "3 left"},
		{"is the red one in L available?", "J-BLU-M", "out of stock"},
		{"Storm Jacket 蓝色 M码有货吗", "", "库存 9"},
		{"how much is the storm jacket", "", "9 left"}, // few variants: each is listed
	}
	for _, tt := range tests {
		a, err := h.Ask(context.Background(), "t", Question{Text: tt.q, SKU: tt.sku})
		if err != nil || a.Kind != AnswerProduct || !strings.Contains(a.Text, tt.want) || a.Card == nil {
			t.Errorf("%q: %+v %v, want %q", tt.q, a, err, tt.want)
		}
	}
	if a, _ := h.Ask(context.Background(), "t", Question{Text: "what is your return policy?", SKU: "J-RED-M"}); a.Kind == AnswerProduct {
		t.Errorf("a policy question on a product page got a product answer: %+v", a)
	}
	// Naming a product without asking about stock or price is no product question.
	if a, _ := h.Ask(context.Background(), "t", Question{Text: "how do I return the storm jacket?"}); a.Kind == AnswerProduct {
		t.Errorf("a return question naming a product got a product answer: %+v", a)
	}
}

// TestAskCache: the same question is answered from the cache with an equal
// answer that its callers cannot change, the page's SKU is part of the
// question, and a Load (new stock) answers afresh.
func TestAskCache(t *testing.T) {
	load := func(h *Hub, stock string) {
		t.Helper()
		ps, err := ParseCatalogCSV([]byte(catalogHeader +
			"J-RED-M,Storm Jacket,red / M,red,M," + stock + ",169.00,USD,,https://s.example/j,Storm Jacket,\n" +
			"J-BLU-M,Storm Jacket,blue / M,blue,M,9,169.00,USD,,https://s.example/j,Storm Jacket,\n"))
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Load(context.Background(), "t", nil, ps); err != nil {
			t.Fatal(err)
		}
	}
	h := NewHub(HubOptions{})
	defer h.Close()
	load(h, "3")
	ask := func(q Question) Answer {
		t.Helper()
		a, err := h.Ask(context.Background(), "t", q)
		if err != nil || a.Kind != AnswerProduct || a.Card == nil {
			t.Fatalf("%q: %+v %v", q.Text, a, err)
		}
		return a
	}
	q := Question{Text: "is the storm jacket in red size M in stock?"}
	first := ask(q)
	if !strings.Contains(first.Text, "3 left") {
		t.Fatalf("first: %q", first.Text)
	}
	first.Card.Stock, first.Text = -1, "changed by a caller"
	if again := ask(q); again.Text == first.Text || again.Card.Stock != 3 || !strings.Contains(again.Text, "3 left") {
		t.Fatalf("again: %q %+v", again.Text, again.Card)
	}
	// Each question, asked twice, is answered as without the cache.
	for _, q := range []Question{{Text: "is it in stock?", SKU: "J-BLU-M"}, {Text: "is it in stock?", SKU: "J-RED-M"},
		{Text: "is the blue storm jacket in stock?"}, {Text: "is the blue storm jacket in stock?", Lang: "en"}, {Text: "hello"}} {
		want, err := h.ask(context.Background(), "t", h.part("t"), q)
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if got, err := h.Ask(context.Background(), "t", q); err != nil || !reflect.DeepEqual(got, want) {
				t.Fatalf("%+v: %+v, want %+v", q, got, want)
			}
		}
	}
	load(h, "0")
	if after := ask(q); !strings.Contains(after.Text, "out of stock") || after.Card.Stock != 0 {
		t.Fatalf("after the reload: %q %+v", after.Text, after.Card)
	}
}
