package transfer

import (
	"reflect"
	"strings"
	"testing"
)

// TestSettingsTableCoversConfig: every Config field a user sets by value
// has exactly one setting, each flag and key is unique, and the table's
// defaults are what Defaults() returns.
func TestSettingsTableCoversConfig(t *testing.T) {
	// images given in memory, and custom terms (code, recorded as params.terms), have no text form
	inMemory := map[string]bool{"ContentImage": true, "InitImage": true, "Terms": true}
	fields := map[string]bool{}
	for _, s := range Settings() {
		fields[strings.SplitN(s.Field, "[", 2)[0]] = true
	}
	typ := reflect.TypeOf(Config{})
	for i := 0; i < typ.NumField(); i++ {
		name := typ.Field(i).Name
		if !fields[name] && !inMemory[name] {
			t.Errorf("Config.%s has no setting in the table", name)
		}
		delete(fields, name)
	}
	for f := range fields {
		t.Errorf("setting field %s is not a Config field", f)
	}
	keys, flags := map[string]bool{}, map[string]bool{}
	for _, s := range Settings() {
		if keys[s.Key] || flags[s.Flag] {
			t.Errorf("setting %s/%s is listed twice", s.Key, s.Flag)
		}
		keys[s.Key], flags[s.Flag] = true, true
		if s.Doc == "" {
			t.Errorf("setting %s has no doc", s.Key)
		}
		if s.Flag != strings.ReplaceAll(s.Key, "_", "-") && s.Key != "styles" {
			t.Errorf("setting %s has flag -%s: a flag is its key with - for _", s.Key, s.Flag)
		}
	}
	d := Defaults()
	for _, s := range Settings() {
		if got, _ := d.Get(s.Key); s.Default != "" && got != s.Default {
			t.Errorf("Defaults().%s = %q, table says %q", s.Field, got, s.Default)
		}
	}
	if d.Alpha != 1 || d.Ratio != 1e-3 || d.Iterations != 500 || len(d.StyleLayers) != 5 || d.StyleLayers[4].Weight != 0.2 {
		t.Errorf("Defaults() = %+v, not the paper's settings", d)
	}
}

// TestApplyTakesValuesAsGiven: explicit values are kept (0 stays 0),
// order does not matter, and meaningless values are refused with why.
func TestApplyTakesValuesAsGiven(t *testing.T) {
	base := Defaults()
	base.Styles = []Style{{Path: "a.jpg"}, {Path: "b.jpg"}}
	tests := []struct {
		name   string
		values map[string]string
		check  func(c Config) bool
		err    string
	}{
		{"blend with a zero", map[string]string{"style_blend": "0,1"}, func(c Config) bool { return c.Styles[0].Weight == 0 && c.Styles[1].Weight == 1 }, ""},
		{"blend before styles", map[string]string{"style_blend": "2,1", "styles": "x.jpg,y.jpg"}, func(c Config) bool { return c.Styles[0].Path == "x.jpg" && c.Styles[0].Weight == 2 }, ""},
		{"alpha 0", map[string]string{"alpha": "0", "beta": "1"}, func(c Config) bool { return c.Alpha == 0 && c.Beta == 1 && c.Ratio == 0 }, ""},
		{"beta clears the ratio", map[string]string{"beta": "50"}, func(c Config) bool { return c.Beta == 50 && c.Ratio == 0 }, ""},
		{"layer weights after layers", map[string]string{"style_layer_weights": "0.25,0.75", "style_layers": "conv1_1,conv2_1"}, func(c Config) bool {
			return len(c.StyleLayers) == 2 && c.StyleLayers[1].Weight == 0.75
		}, ""},
		{"all blend weights 0", map[string]string{"style_blend": "0,0"}, nil, "every style blend weight is 0"},
		{"all layer weights 0", map[string]string{"style_layer_weights": "0,0,0,0,0"}, nil, "every style layer weight is 0"},
		{"alpha and beta 0", map[string]string{"alpha": "0", "beta": "0"}, nil, "alpha and beta are both 0"},
		{"beta and ratio", map[string]string{"beta": "1", "ratio": "1e-3"}, nil, "both beta and ratio"},
		{"ratio 0", map[string]string{"ratio": "0"}, nil, "ratio 0"},
		{"size 0", map[string]string{"size": "0"}, nil, "size 0"},
		{"learning rate 0", map[string]string{"learning_rate": "0"}, nil, "learning_rate 0"},
		{"wrong count", map[string]string{"style_blend": "1"}, nil, "1 values for 2 style images"},
		{"not a number", map[string]string{"alpha": "lots"}, nil, `"lots" is not a number`},
		{"NaN", map[string]string{"tv_weight": "NaN"}, nil, "not a finite number"},
		{"unknown", map[string]string{"colour_depth": "8"}, nil, `unknown setting "colour_depth"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			c.Styles = append([]Style(nil), base.Styles...)
			err := c.Apply(tc.values)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("error %v, want one mentioning %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(c) {
				t.Errorf("config after %v: %+v", tc.values, c)
			}
		})
	}
}

// TestNetworkParams: a run records its network, and the image set of a
// normalised one ("standard" for the built-in set), and the two networks
// are different runs.
func TestNetworkParams(t *testing.T) {
	folder := t.TempDir()
	tests := []struct {
		network, images string
		want            Network
		params          map[string]string // "" = not recorded
	}{
		{"", "", Raw, map[string]string{"network": "raw", "normalise_images": ""}},
		{"raw", folder, Raw, map[string]string{"network": "raw", "normalise_images": ""}},
		{"normalised", "", Normalised, map[string]string{"network": "normalised", "normalise_images": "standard"}},
		{"normalized", folder, Normalised, map[string]string{"network": "normalised", "normalise_images": folder}},
	}
	ids := map[Network]string{}
	for _, tc := range tests {
		t.Run(tc.network+"/"+tc.images, func(t *testing.T) {
			cfg := paperConfig(t, 64, 1)
			cfg.Network, cfg.NormaliseImages = tc.network, tc.images
			p, err := cfg.Resolve()
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, q := range p.Params() {
				got[q.Key] = q.Value
			}
			for k, v := range tc.params {
				if got[k] != v {
					t.Errorf("param %s = %q, want %q", k, got[k], v)
				}
			}
			if p.Network != tc.want {
				t.Errorf("plan network %v, want %v", p.Network, tc.want)
			}
			if tc.images == "" {
				ids[p.Network] = p.Identity("same weights")
			}
		})
	}
	if ids[Raw] == ids[Normalised] {
		t.Error("raw and normalised networks give the same identity")
	}
}
