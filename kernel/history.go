package kernel

import (
	"regexp"
	"strings"

	"github.com/stylelab/stylelab/kernel/jupyter"
)

// historySession is the session number of this kernel's history: history
// lives as long as the kernel process.
const historySession = 1

type historyEntry struct {
	line   int
	input  string
	output *string // text of the result, if any
}

// history is the cells run in this session, in order.
type history struct {
	entries []historyEntry
}

func (h *history) add(e historyEntry) { h.entries = append(h.entries, e) }

type historyRequest struct {
	Output         bool   `json:"output"`
	Raw            bool   `json:"raw"`
	HistAccessType string `json:"hist_access_type"`
	Session        int    `json:"session"`
	Start          int    `json:"start"`
	Stop           int    `json:"stop"`
	N              int    `json:"n"`
	Pattern        string `json:"pattern"`
	Unique         bool   `json:"unique"`
}

// query answers a history_request: tail (the last n), range (lines start
// to stop, stop excluded, of a session; 0 or negative counts from the end)
// or search (a glob over the input, the last n matches, optionally unique).
func (h *history) query(r historyRequest) []historyEntry {
	all := h.entries
	switch r.HistAccessType {
	case "tail":
		return lastN(all, r.N)
	case "range":
		if r.Session != 0 && r.Session != historySession && r.Session != -historySession {
			return nil
		}
		var out []historyEntry
		for _, e := range all {
			if e.line >= r.Start && (r.Stop <= 0 || e.line < r.Stop) {
				out = append(out, e)
			}
		}
		return out
	case "search":
		re, err := globRegexp(r.Pattern)
		if err != nil {
			return nil
		}
		var out []historyEntry
		seen := map[string]bool{}
		for i := len(all) - 1; i >= 0; i-- {
			e := all[i]
			if !re.MatchString(e.input) || (r.Unique && seen[e.input]) {
				continue
			}
			seen[e.input] = true
			out = append([]historyEntry{e}, out...)
		}
		return lastN(out, r.N)
	}
	return nil
}

func lastN(e []historyEntry, n int) []historyEntry {
	if n > 0 && n < len(e) {
		return e[len(e)-n:]
	}
	return e
}

// globRegexp compiles a glob (*, ?, [...]) matched against whole inputs.
func globRegexp(glob string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString(`(?s)\A`)
	for i := 0; i < len(glob); i++ {
		switch c := glob[i]; c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			if j := strings.IndexByte(glob[i:], ']'); j > 0 {
				class := glob[i+1 : i+j]
				if strings.HasPrefix(class, "!") {
					class = "^" + class[1:]
				}
				b.WriteString("[" + class + "]")
				i += j
			} else {
				b.WriteString(`\[`)
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString(`\z`)
	return regexp.Compile(b.String())
}

func (k *kernel) historyReply(m *jupyter.Message) {
	var r historyRequest
	_ = m.Decode(&r)
	entries := k.history.query(r)
	out := make([]any, len(entries))
	for i, e := range entries {
		var item any = e.input
		if r.Output {
			var o any
			if e.output != nil {
				o = *e.output
			}
			item = []any{e.input, o}
		}
		out[i] = []any{historySession, e.line, item}
	}
	k.reply(jupyter.Shell, m, "history_reply", map[string]any{"status": "ok", "history": out})
}
