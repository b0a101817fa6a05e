package store

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"
)

// jsonFloat is a float64 that writes NaN and ±Inf as strings.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	v := float64(f)
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return json.Marshal(formatFloat(v))
	}
	return []byte(strconv.FormatFloat(v, 'g', -1, 64)), nil
}

func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		v, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("metric value %q is not a number", s)
		}
		*f = jsonFloat(v)
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*f = jsonFloat(v)
	return nil
}

type jsonStep struct {
	Step   int                  `json:"step"`
	Wall   float64              `json:"wall_seconds"`
	Values map[string]jsonFloat `json:"values"`
}

type jsonNote struct {
	ID      int64     `json:"id"`
	Created time.Time `json:"created"`
	Text    string    `json:"text"`
}

type jsonArtifact struct {
	ID      int64     `json:"id"`
	Kind    string    `json:"kind"`
	Name    string    `json:"name"`
	Step    int       `json:"step"`
	Path    string    `json:"path"`
	SHA256  string    `json:"sha256"`
	Size    int64     `json:"size"`
	Created time.Time `json:"created"`
}

type jsonInput struct {
	Role   string `json:"role"`
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
}

// jsonRun is the export format of one run.
type jsonRun struct {
	ID            int64             `json:"id"`
	Name          string            `json:"name"`
	Experiment    string            `json:"experiment"`
	Status        Status            `json:"status"`
	Started       time.Time         `json:"started"`
	Ended         *time.Time        `json:"ended"`
	Duration      float64           `json:"duration_seconds"`
	Version       string            `json:"version"`
	Commit        string            `json:"commit"`
	Host          string            `json:"host"`
	PID           int               `json:"pid"`
	Seed          int64             `json:"seed"`
	WeightsSHA256 string            `json:"weights_sha256"`
	ParamsHash    string            `json:"params_hash"`
	UUID          string            `json:"uuid"`
	Message       string            `json:"message"`
	Params        map[string]string `json:"params"`
	Tags          []string          `json:"tags"`
	Inputs        []jsonInput       `json:"inputs"`
	Notes         []jsonNote        `json:"notes"`
	Artifacts     []jsonArtifact    `json:"artifacts"`
	Metrics       []jsonStep        `json:"metrics"`
}

func toJSON(r *RunRecord) jsonRun {
	j := jsonRun{
		ID: r.ID, Name: r.Name, Experiment: r.Experiment, Status: r.Status, Started: r.Started,
		Duration: r.Duration.Seconds(), Version: r.Version, Commit: r.Commit, Host: r.Host, PID: r.PID,
		Seed: r.Seed, WeightsSHA256: r.WeightsSHA256, ParamsHash: r.ParamsHash, UUID: r.UUID, Message: r.Message,
		Params: map[string]string{}, Tags: append([]string{}, r.Tags...),
		Inputs: []jsonInput{}, Notes: []jsonNote{}, Artifacts: []jsonArtifact{}, Metrics: []jsonStep{},
	}
	if !r.Ended.IsZero() {
		e := r.Ended
		j.Ended = &e
	}
	for _, p := range r.Params {
		j.Params[p.Key] = p.Value
	}
	for _, in := range r.Inputs {
		j.Inputs = append(j.Inputs, jsonInput(in))
	}
	for _, n := range r.Notes {
		j.Notes = append(j.Notes, jsonNote{ID: n.ID, Created: n.Created, Text: n.Text})
	}
	for _, a := range r.Artifacts {
		j.Artifacts = append(j.Artifacts, jsonArtifact{a.ID, a.Kind, a.Name, a.Step, a.Path, a.SHA256, a.Size, a.Created})
	}
	for _, m := range r.Metrics { // ordered by step
		if n := len(j.Metrics); n == 0 || j.Metrics[n-1].Step != m.Step {
			j.Metrics = append(j.Metrics, jsonStep{Step: m.Step, Wall: m.Wall, Values: map[string]jsonFloat{}})
		}
		j.Metrics[len(j.Metrics)-1].Values[m.Key] = jsonFloat(m.Value)
	}
	return j
}

// fromJSON rebuilds a record; Last, Min and LastStep are derived from the
// metric history.
func fromJSON(j *jsonRun) RunRecord {
	r := RunRecord{RunSummary: RunSummary{
		ID: j.ID, Name: j.Name, Experiment: j.Experiment, Status: j.Status, Started: j.Started,
		Duration: time.Duration(j.Duration * float64(time.Second)), Version: j.Version, Commit: j.Commit,
		Host: j.Host, PID: j.PID, Seed: j.Seed, WeightsSHA256: j.WeightsSHA256, ParamsHash: j.ParamsHash,
		UUID: j.UUID, Message: j.Message, Tags: j.Tags, Last: map[string]float64{}, Min: map[string]float64{}, LastStep: -1,
	}}
	if j.Ended != nil {
		r.Ended = *j.Ended
	}
	for k, v := range j.Params {
		r.Params = append(r.Params, Param{k, v})
	}
	sort.Slice(r.Params, func(a, b int) bool { return r.Params[a].Key < r.Params[b].Key })
	for _, in := range j.Inputs {
		r.Inputs = append(r.Inputs, Input(in))
	}
	for _, n := range j.Notes {
		r.Notes = append(r.Notes, Note{ID: n.ID, Created: n.Created, Text: n.Text})
	}
	for _, a := range j.Artifacts {
		r.Artifacts = append(r.Artifacts, Artifact{ID: a.ID, Run: j.ID, Kind: a.Kind, Name: a.Name, Step: a.Step, Path: a.Path, SHA256: a.SHA256, Size: a.Size, Created: a.Created})
	}
	for _, st := range j.Metrics {
		keys := make([]string, 0, len(st.Values))
		for k := range st.Values {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := float64(st.Values[k])
			r.Metrics = append(r.Metrics, MetricPoint{Step: st.Step, Wall: st.Wall, Key: k, Value: v})
			r.Last[k] = v
			if m, ok := r.Min[k]; !ok || math.IsNaN(m) || v < m {
				r.Min[k] = v // NaN only until a number arrives, as in SQL
			}
			r.LastStep = max(r.LastStep, st.Step)
		}
	}
	return r
}
