package intentcheck

import (
	"errors"
	"math"
	"testing"

	"github.com/kefu-io/kefu/models/artifacts"
	"github.com/kefu-io/kefu/models/textmodel"
)

// fixed scores every text with the same probabilities.
type fixed struct {
	labels []string
	p      []float32
}

func (f fixed) Labels() []string { return f.labels }
func (f fixed) Probs(dst []float32, _ string) []float32 {
	return append(dst[:0], f.p...)
}

func TestCheck(t *testing.T) {
	m := fixed{labels: []string{"order_status", "cancel_order", "oos"}, p: []float32{0.30, 0.55, 0.15}}
	c, err := New(m)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		hint, want string
		conf       float64
		src        Source
	}{
		{"", "cancel_order", 0.55, SourceEdge},
		{"cancel_order", "cancel_order", 0.55, SourceHint},
		{"order_status", "cancel_order", 0.55, SourceEdge}, // a likely second label does not win: the edge's best does
		{"oos", "cancel_order", 0.55, SourceEdge},
		{"no_such_label", "cancel_order", 0.55, SourceEdge},
	}
	for _, tc := range tests {
		r, err := c.Check("x", tc.hint)
		if err != nil {
			t.Fatal(err)
		}
		if r.Intent != tc.want || math.Abs(r.Confidence-tc.conf) > 1e-6 || r.Source != tc.src || r.Hint != tc.hint {
			t.Errorf("Check(hint %q) = %+v, want %s %.2f %s", tc.hint, r, tc.want, tc.conf, tc.src)
		}
	}
	if _, err := New(fixed{}); !errors.Is(err, ErrNoLabels) {
		t.Errorf("New(no labels) = %v, want ErrNoLabels", err)
	}
	if _, err := (&Checker{m: fixed{labels: []string{"a"}}, labels: []string{"a", "b"}}).Check("x", ""); err == nil {
		t.Error("Check with a short probability vector: no error")
	}
}

// TestShippedModelRejectsAForgedHint: a client that claims "order_status"
// for a cancellation does not get it past the edge's model.
func TestShippedModelRejectsAForgedHint(t *testing.T) {
	m, err := textmodel.Load(artifacts.Intent())
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(m)
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Check("please cancel my order 10023, I don't want it any more", "order_status")
	if err != nil {
		t.Fatal(err)
	}
	if r.Intent != "cancel_order" || r.Source != SourceEdge {
		t.Errorf("forged hint: %+v, want cancel_order from the edge", r)
	}
	r, err = c.Check("where is my order 10023? it has not arrived", "order_status")
	if err != nil {
		t.Fatal(err)
	}
	if r.Intent != "order_status" || r.Source != SourceHint || r.Confidence < 0.5 {
		t.Errorf("honest hint: %+v, want order_status (agreeing with the hint) with confidence >= 0.5", r)
	}
}

// TestHintNeverChangesTheIntent: with the shipped model, every possible
// hint (each label, none, an unknown one) gives the same intent and
// confidence; only Source tells whether the hint agreed.
func TestHintNeverChangesTheIntent(t *testing.T) {
	c, err := Shipped()
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{
		"Hat Bestellung 10023 das Lager schon verlassen?",
		"my parcel 10023 arrived broken",
		"请问订单10023到哪了",
		"what's the weather tomorrow",
	} {
		want, err := c.Check(text, "")
		if err != nil {
			t.Fatal(err)
		}
		if want.Source != SourceEdge {
			t.Errorf("%q without a hint: source %s", text, want.Source)
		}
		for _, hint := range append(c.labels, "no_such_label") {
			r, err := c.Check(text, hint)
			if err != nil {
				t.Fatal(err)
			}
			if r.Intent != want.Intent || r.Confidence != want.Confidence || r.Hint != hint {
				t.Errorf("%q with hint %s: %+v, want %s %.3f", text, hint, r, want.Intent, want.Confidence)
			}
			if agreed := r.Source == SourceHint; agreed != (hint == want.Intent) {
				t.Errorf("%q with hint %s: source %s", text, hint, r.Source)
			}
		}
	}
}
