package kernel

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/stylelab/stylelab/kernel/display"
	"github.com/stylelab/stylelab/kernel/jupyter"
)

type executeRequest struct {
	Code            string            `json:"code"`
	Silent          bool              `json:"silent"`
	StoreHistory    *bool             `json:"store_history"`
	UserExpressions map[string]string `json:"user_expressions"`
	AllowStdin      bool              `json:"allow_stdin"`
	StopOnError     bool              `json:"stop_on_error"`
}

// execute runs one cell and sends its outputs and reply. It reports
// whether the cell failed and asked to stop on error.
func (k *kernel) execute(req *jupyter.Message) (stop bool) {
	c := executeRequest{StopOnError: true}
	if err := req.Decode(&c); err != nil {
		k.log.Print(err)
	}
	store := (c.StoreHistory == nil || *c.StoreHistory) && !c.Silent
	if store {
		k.count++
	}
	k.mu.Lock()
	k.parent = req
	k.cell = fmt.Sprintf("cell[%d]", k.count)
	k.mu.Unlock()
	k.mon.cell(req.Header)
	if !c.Silent {
		k.publish(req, "execute_input", map[string]any{"code": c.Code, "execution_count": k.count})
	}

	var payload []any
	var out outcome
	var result display.Bundle
	var hasResult bool
	userExpressions := map[string]any{}
	if exitCommand(c.Code) {
		// jupyter console leaves on this payload, as with IPython's exit
		payload = append(payload, map[string]any{"source": "ask_exit", "keepkernel": false})
	} else if src, ok := gofmtMagic(c.Code); ok {
		formatted, err := gofmtCell(src)
		if err != nil {
			out.err = &cellError{Name: "SyntaxError", Value: err.Error(), Traceback: []string{"SyntaxError: " + err.Error()}}
		} else {
			result, hasResult = display.Bundle{Data: map[string]any{"text/plain": formatted}, Metadata: map[string]any{}}, true
			// the front end replaces the cell with the formatted code, as IPython's %load does
			payload = append(payload, map[string]any{"source": "set_next_input", "text": formatted, "replace": true})
		}
	} else if topic, ok := helpTopic(c.Code); ok {
		var doc string
		k.in.do(func() { doc, ok = k.in.inspect(topic, len(topic)) })
		if ok {
			payload = append(payload, map[string]any{"source": "page", "data": map[string]any{"text/plain": doc}, "start": 0})
		} else {
			out.err = &cellError{Name: "NameError", Value: "no documentation for " + topic, Traceback: []string{"NameError: no documentation for " + topic}}
		}
	} else {
		out, result, hasResult, userExpressions = k.run(req, c)
	}

	if out.err != nil {
		k.publish(req, "error", map[string]any{"ename": out.err.Name, "evalue": out.err.Value, "traceback": out.err.Traceback})
	} else if hasResult && !c.Silent {
		k.publish(req, "execute_result", map[string]any{"execution_count": k.count, "data": result.Data, "metadata": nonNil(result.Metadata)})
	}
	if store {
		entry := historyEntry{line: k.count, input: c.Code}
		if hasResult {
			if s, ok := result.Data["text/plain"].(string); ok {
				entry.output = &s
			}
		}
		k.history.add(entry)
	}
	content := map[string]any{"status": "ok", "execution_count": k.count, "payload": nonNilSlice(payload), "user_expressions": userExpressions}
	if out.err != nil {
		content = map[string]any{"status": "error", "execution_count": k.count,
			"ename": out.err.Name, "evalue": out.err.Value, "traceback": out.err.Traceback}
	}
	if out.err != nil {
		k.failedAt = time.Now()
	}
	k.reply(jupyter.Shell, req, "execute_reply", content)
	return out.err != nil && c.StopOnError
}

// run evaluates a cell on the interpreter with a cancellable context, while
// watching for reads of standard input. An interrupted cell that has not
// stopped after interruptGrace is abandoned (see runner.go): it ends at
// once as Interrupted, and the session goes on without it.
func (k *kernel) run(req *jupyter.Message, c executeRequest) (out outcome, result display.Bundle, hasResult bool, userExpressions map[string]any) {
	ctx, cancel := context.WithCancel(k.ctx)
	defer cancel()
	ctx = display.WithCellSource(display.WithPublisher(ctx, cellOutput{k: k, req: req}), c.Code)
	k.mu.Lock()
	k.cancel = cancel
	k.mu.Unlock()
	defer func() {
		k.mu.Lock()
		k.cancel = nil
		k.mu.Unlock()
	}()

	watching := make(chan struct{})
	go k.watchStdin(watching, req, c.AllowStdin)
	defer close(watching)
	name := fmt.Sprintf("cell[%d]", k.count)
	// The job's results travel by channel: an abandoned job may still
	// finish, long after, and must write nothing the kernel reads.
	type results struct {
		out             outcome
		result          display.Bundle
		hasResult       bool
		userExpressions map[string]any
	}
	got := make(chan results, 1)
	tripped := make(chan *cellError, 1)
	stopGuard := k.guard.watch(func(e *cellError) {
		tripped <- e
		k.interrupt()
	})
	defer stopGuard()
	guarded := func(o outcome, abandoned bool) outcome { // the guard's reason for an interrupt
		select {
		case e := <-tripped:
			if o.err != nil && o.err.Name == "Interrupted" {
				o.err = e
				if abandoned {
					note := "; the cell did not stop: its goroutine is left behind, blocked in compiled code"
					o.err = &cellError{Name: e.Name, Value: e.Value + note, Traceback: []string{e.Traceback[0] + note}}
				}
			}
		default:
		}
		return o
	}
	done := k.in.start(func() {
		var r results
		r.out = k.in.eval(ctx, name, c.Code)
		if r.out.err == nil && len(r.out.values) > 0 {
			r.result, r.hasResult = renderValues(r.out.values)
		}
		r.userExpressions = map[string]any{}
		if r.out.err == nil {
			for key, expr := range c.UserExpressions {
				r.userExpressions[key] = k.in.userExpression(ctx, expr)
			}
		}
		got <- r
	})
	select {
	case <-done:
	case <-ctx.Done(): // interrupted, or the kernel stops
		select {
		case <-done:
		case <-time.After(interruptGrace):
			k.in.abandon()
			k.log.Printf("%s did not stop within %v of its interrupt: abandoned", name, interruptGrace)
			k.syncStreams()
			return guarded(outcome{err: abandonedError()}, true), display.Bundle{}, false, map[string]any{}
		}
	}
	k.syncStreams()
	select {
	case r := <-got:
		return guarded(r.out, false), r.result, r.hasResult, r.userExpressions
	default: // the job ended its goroutine
		msg := "the cell ended the interpreter's goroutine (runtime.Goexit); the session goes on"
		return outcome{err: &cellError{Name: "Goexit", Value: msg, Traceback: []string{"Goexit: " + msg}}}, display.Bundle{}, false, map[string]any{}
	}
}

// abandonedError is the error of a cell abandoned after an interrupt.
func abandonedError() *cellError {
	value := "the cell was interrupted while blocked in compiled code that does not watch ctx " +
		"(time.Sleep, a channel operation, a lock, a system call): its goroutine is left behind, blocked. " +
		"The session and its variables are kept; should the goroutine wake up, it finishes the statement it was blocked in " +
		"and stops within a few more, concurrently with later cells"
	return &cellError{Name: "Interrupted", Value: value, Traceback: []string{"Interrupted: " + value}}
}

// renderValues renders a cell's result: one value richly, several as text.
func renderValues(values []any) (display.Bundle, bool) {
	if len(values) == 1 {
		return display.Render(values[0])
	}
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = display.Format(v)
	}
	return display.Bundle{Data: map[string]any{"text/plain": strings.Join(parts, "\n")}, Metadata: map[string]any{}}, true
}

// userExpression evaluates one of execute_request's user_expressions.
func (in *interp) userExpression(ctx context.Context, expr string) map[string]any {
	o := in.eval(ctx, "user_expression", expr)
	if o.err != nil {
		return map[string]any{"status": "error", "ename": o.err.Name, "evalue": o.err.Value, "traceback": o.err.Traceback}
	}
	b, ok := renderValues(o.values)
	if !ok {
		b = display.Bundle{Data: map[string]any{"text/plain": ""}}
	}
	return map[string]any{"status": "ok", "data": b.Data, "metadata": nonNil(b.Metadata)}
}

// watchStdin asks the notebook for a line whenever the cell blocks reading
// standard input; where the request does not allow input, the read gets
// end of file.
func (k *kernel) watchStdin(done <-chan struct{}, req *jupyter.Message, allow bool) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
		}
		if !k.stdin.Waiting() || k.stdin.Pending() > 0 {
			continue
		}
		if !allow {
			k.renewStdin()
			continue
		}
		k.syncStreams() // the prompt the cell printed comes first
		m := k.socks.New("input_request", req, map[string]any{"prompt": "", "password": false})
		m.Identities = req.Identities
		if err := k.socks.Send(jupyter.Stdin, m); err != nil {
			k.log.Print(err)
			k.renewStdin()
			continue
		}
		var reply *jupyter.Message
		select {
		case <-done:
			return
		case reply = <-k.inputs:
		}
		var c struct {
			Value string `json:"value"`
		}
		_ = reply.Decode(&c)
		if err := k.stdin.Send(c.Value); err != nil {
			k.log.Print(err)
		}
		for k.stdin.Pending() > 0 { // until the cell has read it
			select {
			case <-done:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
}

// helpTopic recognises a help cell, "name?" or "?name".
func helpTopic(code string) (string, bool) {
	s := strings.TrimSpace(code)
	switch {
	case strings.HasSuffix(s, "?"):
		s = strings.TrimSpace(strings.TrimSuffix(s, "?"))
	case strings.HasPrefix(s, "?"):
		s = strings.TrimSpace(strings.TrimPrefix(s, "?"))
	default:
		return "", false
	}
	if s == "" {
		return "", false
	}
	for _, part := range strings.Split(s, ".") {
		if !isIdent(part) {
			return "", false
		}
	}
	return s, true
}

func nonNilSlice(s []any) []any {
	if s == nil {
		return []any{}
	}
	return s
}
