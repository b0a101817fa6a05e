package experiments

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/stylelab/stylelab/store"
)

// Axis is one swept parameter (by its store name, e.g. "ratio" or
// "style_layers") and the values it takes.
type Axis struct {
	Param  string
	Values []string
}

// SweepPoint is one combination of a sweep and what became of it.
type SweepPoint struct {
	Settings []store.Param // the axes' values at this point
	RunID    int64
	Skipped  bool // already FINISHED in the store: not run again
}

// setters map the parameters With understands to how they change a Config.
func setters() map[string]func(c *Config, v string) error {
	return map[string]func(c *Config, v string) error{
		"ratio": func(c *Config, v string) error {
			var r float64
			if err := parseNum(v, &r); err != nil {
				return err
			}
			if r <= 0 {
				return fmt.Errorf("ratio %v must be > 0", r)
			}
			c.Beta = c.Alpha / r
			return nil
		},
		"alpha":         func(c *Config, v string) error { return parseNum(v, &c.Alpha) },
		"beta":          func(c *Config, v string) error { return parseNum(v, &c.Beta) },
		"tv_weight":     func(c *Config, v string) error { return parseNum(v, &c.TVWeight) },
		"style_scale":   func(c *Config, v string) error { return parseNum(v, &c.StyleScale) },
		"learning_rate": func(c *Config, v string) error { return parseNum(v, &c.LearningRate) },
		"style_layers": func(c *Config, v string) error {
			c.StyleLayers = EqualWeights(splitComma(v)...)
			return nil
		},
		"content_layers": func(c *Config, v string) error { c.ContentLayers = splitComma(v); return nil },
		"size":           func(c *Config, v string) error { c.Scales = nil; return parseInt(v, &c.Size) },
		"iterations":     func(c *Config, v string) error { return parseInt(v, &c.Iterations) },
		"lbfgs_history":  func(c *Config, v string) error { return parseInt(v, &c.History) },
		"seed": func(c *Config, v string) error {
			s, err := strconv.ParseInt(v, 10, 64)
			c.Seed = s
			return err
		},
		"init":        func(c *Config, v string) error { c.Init = v; return nil },
		"pooling":     func(c *Config, v string) error { c.Pooling = v; return nil },
		"scaling":     func(c *Config, v string) error { c.Scaling = v; return nil },
		"optimizer":   func(c *Config, v string) error { c.Optimizer = v; return nil },
		"line_search": func(c *Config, v string) error { c.LineSearch = v; return nil },
		"colour":      func(c *Config, v string) error { c.Colour = v; return nil },
	}
}

// With returns c with one parameter, named as the store names it, set from text.
func (c Config) With(param, value string) (Config, error) {
	set, ok := setters()[param]
	if !ok {
		var names []string
		for k := range setters() {
			names = append(names, k)
		}
		sort.Strings(names)
		return c, fmt.Errorf("experiments: cannot sweep %q: use one of %s", param, strings.Join(names, ", "))
	}
	c.StyleLayers = append([]LayerWeight(nil), c.StyleLayers...)
	if err := set(&c, strings.TrimSpace(value)); err != nil {
		return c, fmt.Errorf("experiments: %s = %q: %w", param, value, err)
	}
	return c, nil
}

// Points lists every combination of the axes (the first axis varies slowest)
// applied to base, checked before anything runs.
func Points(base Config, axes []Axis) ([]Config, [][]store.Param, error) {
	configs, settings := []Config{base}, [][]store.Param{nil}
	for _, a := range axes {
		if len(a.Values) == 0 {
			return nil, nil, fmt.Errorf("experiments: axis %q has no values", a.Param)
		}
		var nc []Config
		var ns [][]store.Param
		for i, c := range configs {
			for _, v := range a.Values {
				cv, err := c.With(a.Param, v)
				if err != nil {
					return nil, nil, err
				}
				if _, err := cv.Resolve(); err != nil {
					return nil, nil, fmt.Errorf("experiments: at %s = %s: %w", a.Param, v, err)
				}
				nc = append(nc, cv)
				ns = append(ns, append(append([]store.Param(nil), settings[i]...), store.Param{Key: a.Param, Value: v}))
			}
		}
		configs, settings = nc, ns
	}
	return configs, settings, nil
}

// Sweep runs every combination of the axes as runs of base.Experiment.
// Points already FINISHED in the store with the same parameters are skipped,
// so a sweep that was interrupted resumes where it stopped. progress, if
// not nil, is called after each point.
func (l *Lab) Sweep(ctx context.Context, base Config, axes []Axis, hooks Hooks, progress func(done, total int, p SweepPoint)) ([]SweepPoint, error) {
	configs, settings, err := Points(base, axes)
	if err != nil {
		return nil, err
	}
	var out []SweepPoint
	for i, cfg := range configs {
		resolved, _ := cfg.Resolve()
		p := SweepPoint{Settings: settings[i]}
		id, done, err := l.Store.FindFinished(ctx, resolved.Experiment, resolved.Params())
		if err != nil {
			return out, err
		}
		if done {
			p.RunID, p.Skipped = id, true
		} else {
			if cfg.Name == "" {
				cfg.Name = pointName(settings[i])
			}
			res, err := l.Run(ctx, cfg, hooks)
			if res != nil {
				p.RunID = res.RunID
			}
			if err != nil {
				return append(out, p), fmt.Errorf("experiments: sweep point %d of %d (%s): %w", i+1, len(configs), pointName(settings[i]), err)
			}
		}
		out = append(out, p)
		if progress != nil {
			progress(i+1, len(configs), p)
		}
	}
	return out, nil
}

func pointName(settings []store.Param) string {
	parts := make([]string, len(settings))
	for i, s := range settings {
		parts[i] = s.Key + "=" + s.Value
	}
	return strings.Join(parts, " ")
}

func parseNum(v string, dst *float64) error {
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return fmt.Errorf("%q is not a number", v)
	}
	*dst = f
	return nil
}

func parseInt(v string, dst *int) error {
	n, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("%q is not a whole number", v)
	}
	*dst = n
	return nil
}

func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
