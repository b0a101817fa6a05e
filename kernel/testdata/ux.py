"""What a person sees of the "Go (Stylelab)" kernel through a real Jupyter
client: errors in cell lines and the Go compiler's words, a panic's
interpreted call stack, completion of nested selectors and of names
declared earlier in the cell, inspection inside a call's parentheses, the
%gofmt magic, and exit/quit leaving jupyter console. Run by
kernel/ux_test.go with JUPYTER_PATH set."""

import os
import re
import unittest

from jupyter_client.manager import start_new_kernel

TIMEOUT = 60
KERNEL = os.environ.get("STYLELAB_KERNEL_NAME", "stylelab")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class UXTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.km, cls.kc = start_new_kernel(kernel_name=KERNEL)

    @classmethod
    def tearDownClass(cls):
        cls.kc.stop_channels()
        cls.km.shutdown_kernel(now=True)

    def run_cell(self, code):
        """Runs code and returns the reply's content and its iopub outputs."""
        outputs = []
        reply = self.kc.execute_interactive(code, timeout=TIMEOUT, output_hook=outputs.append)
        return reply["content"], outputs

    def ok(self, code):
        content, outputs = self.run_cell(code)
        self.assertEqual(content["status"], "ok", content)
        return content, outputs

    def error_of(self, code):
        """Runs a failing cell; returns its execution count and error message."""
        content, outputs = self.run_cell(code)
        self.assertEqual(content["status"], "error", content)
        errors = [m["content"] for m in outputs if m["msg_type"] == "error"]
        self.assertEqual(len(errors), 1, outputs)
        return content["execution_count"], errors[0]

    def test_errors(self):
        self.ok('import "github.com/stylelab/stylelab/transfer"')
        # (code, the error's name, the words of evalue after "cell[N]:")
        cases = [
            ('x := 1\ny := x + "a"', "CompileError",
             '2:6: invalid operation: x + "a" (mismatched types int and untyped string)'),
            ('var q int = "s"', "CompileError",
             '1:13: cannot use "s" (untyped string constant) as int value in variable declaration'),
            ('func g() int {\n\treturn "x"\n}', "CompileError",
             '2:9: cannot use "x" (untyped string constant) as int value in return statement'),
            ('func h(a int) int { return a }\nh("s")', "CompileError",
             '2:3: cannot use "s" (untyped string constant) as int value in argument to h'),
            ("z := 1.5\nvar i int = z", "CompileError",
             "2:5: cannot use z (variable of type float64) as int value in variable declaration"),
            ("k := 5\nk()", "CompileError", "2:1: invalid operation: cannot call non-function k (variable of type int)"),
            ('a := 1\nfmt.Printl("hi")', "CompileError", "2:1: undefined: fmt.Printl"),
            ("n := 2\nundefinedName + n", "CompileError", "2:1: undefined: undefinedName"),
            ("cfg := transfer.Defaults()\ncfg.Iteratons = 3", "CompileError",
             "2:1: cfg.Iteratons undefined (type transfer.Config has no field or method Iteratons)"),
            ('var m map[string]int\nm["a"] = 1', "panic", "2:1: assignment to entry in nil map"),
            ("s := []int{1}\ni := 3\n_ = s[i]", "panic", "3:1: runtime error: index out of range"),
            ("var p *transfer.Config\np.Size", "panic", "2:1: runtime error: invalid memory address or nil pointer dereference"),
        ]
        for code, name, want in cases:
            with self.subTest(code=code):
                count, err = self.error_of(code)
                self.assertEqual(err["ename"], name)
                self.assertEqual(err["evalue"], "cell[%d]:%s" % (count, want))
                tb = "\n".join(err["traceback"])
                self.assertIn("\x1b[", tb, "the traceback is not coloured")
                plain = ANSI.sub("", tb)
                self.assertIn("cell[%d]:%s" % (count, want.split(":")[0]), plain)
                for internal in ("<*ast.", "reflect:", "<int>", "{string"):
                    self.assertNotIn(internal, err["evalue"] + plain)

    def test_panic_stack(self):
        count, err = self.error_of(
            "func inner(s []int) int {\n\treturn s[5]\n}\n"
            "func outer() int {\n\treturn inner(nil) + 1\n}\n"
            "r := outer()")
        self.assertEqual(err["ename"], "panic")
        plain = [ANSI.sub("", line) for line in err["traceback"]]
        cell = "cell[%d]" % count
        # outermost first, each frame in cell lines, with the function it is in
        want = [cell + ":7:1", cell + ":5:9 in outer", cell + ":2:9 in inner"]
        got = [l.strip() for l in plain if l.strip().startswith(cell)]
        self.assertEqual([g.split("  ")[0] for g in got], want, plain)
        self.assertTrue(got[2].endswith("return s[5]"), got)

    def complete(self, code, pos=None):
        pos = len(code) if pos is None else pos
        msg_id = self.kc.complete(code, pos)
        reply = self.kc.get_shell_msg(timeout=TIMEOUT)
        self.assertEqual(reply["parent_header"]["msg_id"], msg_id)
        return reply["content"]

    def test_completion(self):
        self.ok('import (\n\t"github.com/stylelab/stylelab/experiments"\n\t"github.com/stylelab/stylelab/transfer"\n)\n'
                "var lab *experiments.Lab\ncfg := transfer.Defaults()")
        # (code, matches that must be offered, where the completed word starts)
        cases = [
            ("cfg.", ["Iterations", "Resolve", "Styles"], 4),
            ("cfg.It", ["Iterations"], 4),
            ("lab.Store.", ["Close", "Runs"], 10),
            ("lab.Store.Ru", ["Runs"], 10),
            ("x := 3\nfoo := 1\nf", ["foo"], 16),
            ("var width, height = 1, 2\nhe", ["height"], 25),
            ("func helper() {}\nhel", ["helper"], 17),
        ]
        for code, want, start in cases:
            with self.subTest(code=code):
                c = self.complete(code)
                self.assertEqual(c["status"], "ok")
                for w in want:
                    self.assertIn(w, c["matches"])
                self.assertEqual(c["cursor_start"], start, c)
                self.assertEqual(c["cursor_end"], len(code))

    def inspect(self, code, pos=None):
        pos = len(code) if pos is None else pos
        msg_id = self.kc.inspect(code, pos)
        reply = self.kc.get_shell_msg(timeout=TIMEOUT)
        self.assertEqual(reply["parent_header"]["msg_id"], msg_id)
        return reply["content"]

    def test_inspect_in_call(self):
        self.ok('import "github.com/stylelab/stylelab/experiments"\nfunc twice(n int) int { return 2 * n }')
        # (code, cursor, words the documentation holds)
        cases = [
            ("lab, err := experiments.OpenLab(", None, "func OpenLab(weightsPath, dbPath string) (*Lab, error)"),
            ('lab, err := experiments.OpenLab("w", ', None, "func OpenLab(weightsPath, dbPath string) (*Lab, error)"),
            ('experiments.OpenLab("w", "db")', 22, "func OpenLab(weightsPath, dbPath string) (*Lab, error)"),
            ('s := fmt.Sprintf("%d", twice(', None, "func twice"),
            ('s := fmt.Sprintf("%d", 3', None, "Sprintf"),
        ]
        for code, pos, want in cases:
            with self.subTest(code=code, pos=pos):
                c = self.inspect(code, pos)
                self.assertTrue(c["found"], c)
                self.assertIn(want, c["data"]["text/plain"])

    def test_gofmt(self):
        content, outputs = self.ok("%gofmt\nx:=1\nif x>0 {\nfmt.Println( x )\n}")
        want = "x := 1\nif x > 0 {\n\tfmt.Println(x)\n}"
        results = [m["content"]["data"]["text/plain"] for m in outputs if m["msg_type"] == "execute_result"]
        self.assertEqual(results, [want])
        self.assertEqual(content["payload"], [{"source": "set_next_input", "text": want, "replace": True}])
        content, _ = self.run_cell("%gofmt\nx := := 1")
        self.assertEqual(content["status"], "error")
        self.assertIn("cell:2:6: expected operand", content["evalue"])

    def test_indent(self):
        # jupyter console starts an incomplete cell's next line with this
        for code, indent in [("func f() {", "\t"), ("func f() {\n\tif true {", "\t\t"), ("x := []int{\n\t1,", "\t")]:
            with self.subTest(code=code):
                msg_id = self.kc.is_complete(code)
                reply = self.kc.get_shell_msg(timeout=TIMEOUT)
                self.assertEqual(reply["parent_header"]["msg_id"], msg_id)
                self.assertEqual(reply["content"], {"status": "incomplete", "indent": indent})

    def test_exit(self):
        for code in ["exit", "quit", "exit()", " quit() "]:
            with self.subTest(code=code):
                content, _ = self.ok(code)
                self.assertEqual(content["payload"], [{"source": "ask_exit", "keepkernel": False}])
        # the kernel lives on: a client that keeps it may go on
        content, outputs = self.ok("1+1")


if __name__ == "__main__":
    unittest.main()
