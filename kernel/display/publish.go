package display

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// Publisher sends bundles to the notebook. The kernel implements it and
// puts one in each cell's context.
type Publisher interface {
	// Display shows b in the cell's output. A non-empty id names the
	// output; update replaces the output shown earlier under that id.
	Display(b Bundle, id string, update bool) error
	// Clear clears the cell's output; wait defers it until the next output.
	Clear(wait bool) error
}

type publisherKey struct{}

// WithPublisher returns a context whose cells' output goes to p.
func WithPublisher(ctx context.Context, p Publisher) context.Context {
	return context.WithValue(ctx, publisherKey{}, p)
}

// PublisherOf returns the context's Publisher, or nil outside a kernel.
func PublisherOf(ctx context.Context) Publisher {
	p, _ := ctx.Value(publisherKey{}).(Publisher)
	return p
}

type sourceKey struct{}

// WithCellSource returns a context that carries the text of the cell
// being run. The kernel puts one in each cell's context.
func WithCellSource(ctx context.Context, code string) context.Context {
	return context.WithValue(ctx, sourceKey{}, code)
}

// CellSource returns the text of the cell being run ("" outside a
// kernel): the source to record with a custom loss term, as in
// transfer.Term{..., Source: display.CellSource(ctx)}.
func CellSource(ctx context.Context) string {
	s, _ := ctx.Value(sourceKey{}).(string)
	return s
}

// Show displays each value now, in order (nil values show nothing).
func Show(ctx context.Context, values ...any) error {
	p := PublisherOf(ctx)
	if p == nil {
		return nil
	}
	for _, v := range values {
		if b, ok := Render(v); ok {
			if err := p.Display(b, "", false); err != nil {
				return fmt.Errorf("display: %w", err)
			}
		}
	}
	return nil
}

// Clear clears the cell's output; with wait, only when the next output comes
// (no flicker when replacing it).
func Clear(ctx context.Context, wait bool) error {
	if p := PublisherOf(ctx); p != nil {
		if err := p.Clear(wait); err != nil {
			return fmt.Errorf("display: %w", err)
		}
	}
	return nil
}

// Handle is an output that can be replaced in place.
type Handle struct {
	p  Publisher
	id string
}

// New displays v as an output that Update can replace later.
func New(ctx context.Context, v any) (*Handle, error) {
	var r [8]byte
	_, _ = rand.Read(r[:])
	h := &Handle{p: PublisherOf(ctx), id: "stylelab-" + hex.EncodeToString(r[:])}
	return h, h.show(v, false)
}

// ID is the output's display id.
func (h *Handle) ID() string { return h.id }

// Update replaces the output with v.
func (h *Handle) Update(v any) error { return h.show(v, true) }

func (h *Handle) show(v any, update bool) error {
	if h.p == nil {
		return nil
	}
	b, ok := Render(v)
	if !ok {
		b = bundle("text/plain", "")
	}
	if err := h.p.Display(b, h.id, update); err != nil {
		return fmt.Errorf("display: %w", err)
	}
	return nil
}
