package store

import (
	"database/sql"
	"math"
	"sort"
	"time"
)

// RunSummary is one run as listed by Runs: its fields, params, tags and
// the last and minimum value of every metric.
type RunSummary struct {
	ID            int64
	Name          string
	Experiment    string
	Status        Status
	Started       time.Time
	Ended         time.Time     // zero while RUNNING
	Duration      time.Duration // up to Ended; zero while RUNNING
	Version       string
	Commit        string
	Host          string
	PID           int
	Seed          int64
	WeightsSHA256 string
	ParamsHash    string
	UUID          string             // stays the same when the run is copied to another store
	Message       string             // the error of a FAILED run, or why it was INTERRUPTED
	Params        []Param            // sorted by key
	Tags          []string           // sorted
	Last          map[string]float64 // metric key -> value at the highest step
	Min           map[string]float64 // metric key -> smallest value
	LastStep      int                // highest step logged, -1 if none
}

// Param returns the value of the parameter key.
func (r *RunSummary) Param(key string) (string, bool) {
	for _, p := range r.Params {
		if p.Key == key {
			return p.Value, true
		}
	}
	return "", false
}

// RunRecord is everything known about one run.
type RunRecord struct {
	RunSummary
	Inputs    []Input
	Notes     []Note
	Artifacts []Artifact    // ordered by kind, step, name
	Metrics   []MetricPoint // ordered by step, then key
}

// LastArtifact returns the run's artifact of kind with the highest step
// (of several at one step, the last by name).
func (r *RunRecord) LastArtifact(kind string) (Artifact, bool) {
	for i := len(r.Artifacts) - 1; i >= 0; i-- {
		if r.Artifacts[i].Kind == kind {
			return r.Artifacts[i], true
		}
	}
	return Artifact{}, false
}

// Note is a free-text remark on a run.
type Note struct {
	ID      int64
	Created time.Time
	Text    string
}

// Artifact is a file saved for a run.
type Artifact struct {
	ID      int64
	Run     int64  // the run it belongs to
	Kind    string // final, snapshot, plot or source
	Name    string
	Step    int
	Path    string // absolute
	SHA256  string
	Size    int64
	Created time.Time
}

// MetricPoint is one metric value at one step; NaN was logged as NaN.
type MetricPoint struct {
	Step  int
	Wall  float64 // seconds since the run started
	Key   string
	Value float64
}

// Series returns the steps and values of one metric key, in step order.
func (r *RunRecord) Series(key string) (steps []int, values []float64) {
	for _, m := range r.Metrics {
		if m.Key == key {
			steps = append(steps, m.Step)
			values = append(values, m.Value)
		}
	}
	return steps, values
}

// MetricKeys lists the metric keys logged for the run, sorted.
func (r *RunRecord) MetricKeys() []string {
	seen := map[string]bool{}
	var keys []string
	for _, m := range r.Metrics {
		if !seen[m.Key] {
			seen[m.Key] = true
			keys = append(keys, m.Key)
		}
	}
	sort.Strings(keys)
	return keys
}

// runColumns are the columns scanRun reads, from runs aliased r.
const runColumns = `r.id, r.name, r.experiment, r.status, r.started, r.ended, r.duration, r.version,
	r.git_commit, r.host, r.pid, r.seed, r.weights_sha256, r.params_hash, r.message, r.uuid`

func scanRun(rows interface{ Scan(...any) error }) (RunSummary, error) {
	var (
		r      RunSummary
		st     string
		ended  sql.NullString
		dur    sql.NullFloat64
		status string
	)
	err := rows.Scan(&r.ID, &r.Name, &r.Experiment, &status, &st, &ended, &dur, &r.Version,
		&r.Commit, &r.Host, &r.PID, &r.Seed, &r.WeightsSHA256, &r.ParamsHash, &r.Message, &r.UUID)
	r.Status = Status(status)
	r.Started = parseTime(sql.NullString{String: st, Valid: true})
	r.Ended = parseTime(ended)
	r.Duration = time.Duration(dur.Float64 * float64(time.Second))
	r.Last, r.Min, r.LastStep = map[string]float64{}, map[string]float64{}, -1
	return r, err
}

// nullFloat reads a nullable REAL, NULL meaning NaN.
func nullFloat(v sql.NullFloat64) float64 {
	if !v.Valid {
		return math.NaN()
	}
	return v.Float64
}
