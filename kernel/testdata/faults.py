"""Fault injection into the "Go (Stylelab)" kernel through a real Jupyter
client: cells that panic on goroutines, block in compiled code, recurse or
allocate without end, call os.Exit, nest brackets 10,000 deep, and finally
crash the process. The kernel must report each in the cell's output and,
but for the crashes, live on with the session's variables. Run by
kernel/jupyter_test.go with JUPYTER_PATH and STYLELAB_KERNEL_MEMORY_LIMIT
set."""

import os
import queue
import time
import unittest

from jupyter_client.manager import start_new_kernel

TIMEOUT = 60
KERNEL = os.environ.get("STYLELAB_KERNEL_NAME", "stylelab")


class FaultTests(unittest.TestCase):
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

    def result(self, code):
        content, outputs = self.run_cell(code)
        self.assertEqual(content["status"], "ok", content)
        for m in outputs:
            if m["msg_type"] == "execute_result":
                return m["content"]["data"]["text/plain"]
        return None

    def iopub_of(self, msg_id, want, timeout=TIMEOUT):
        """Waits for an iopub message of the request msg_id for which want
        is true, and returns it."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                msg = self.kc.get_iopub_msg(timeout=1)
            except queue.Empty:
                continue
            if msg["parent_header"].get("msg_id") == msg_id and want(msg):
                return msg
        self.fail("no such message for %s" % msg_id)

    def wait_reply(self, msg_id):
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            reply = self.kc.get_shell_msg(timeout=TIMEOUT)
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply["content"]
        self.fail("no reply to %s" % msg_id)

    def stderr_text(self, outputs):
        return "".join(m["content"]["text"] for m in outputs
                       if m["msg_type"] == "stream" and m["content"]["name"] == "stderr")

    def test_1_goroutine_panic(self):
        content, outputs = self.run_cell('import "time"\nx := 41\n'
                                         'go func() { panic("boom in a goroutine") }()\n'
                                         'time.Sleep(500 * time.Millisecond)')
        self.assertEqual(content["status"], "ok", content)
        text = self.stderr_text(outputs)
        self.assertIn("panic in a goroutine started by cell[", text)
        self.assertIn("boom in a goroutine", text)
        # A goroutine that panics after its cell ended: reported to that cell.
        late = self.kc.execute('go func() { time.Sleep(300 * time.Millisecond); panic("late boom") }()')
        self.assertEqual(self.wait_reply(late)["status"], "ok")
        msg = self.iopub_of(late, lambda m: m["msg_type"] == "stream" and "late boom" in m["content"]["text"])
        self.assertEqual(msg["content"]["name"], "stderr")
        self.assertEqual(self.result("x + 1"), "42")

    def test_2_interrupt_sleep(self):
        msg_id = self.kc.execute('time.Sleep(time.Hour)')
        time.sleep(1)
        t0 = time.time()
        self.km.interrupt_kernel()
        reply = self.wait_reply(msg_id)
        self.assertLess(time.time() - t0, 10, "the interrupt took too long")
        self.assertEqual(reply["ename"], "Interrupted", reply)
        self.assertIn("left behind", reply["evalue"])
        self.assertEqual(self.result("x + 2"), "43")

    def test_3_interrupt_receive(self):
        msg_id = self.kc.execute('ch := make(chan int)\nv := <-ch')
        time.sleep(1)
        self.km.interrupt_kernel()
        reply = self.wait_reply(msg_id)
        self.assertEqual(reply["ename"], "Interrupted", reply)
        # Interpreted loops still stop on interrupt after an abandoned cell.
        loop = self.kc.execute('func spin() {\n\tfor {\n\t}\n}\nspin()')
        time.sleep(1)
        self.km.interrupt_kernel()
        self.assertEqual(self.wait_reply(loop)["ename"], "Interrupted")
        # Waking the abandoned cell finishes its statement.
        self.assertEqual(self.run_cell("ch <- 5")[0]["status"], "ok")
        deadline = time.time() + 10
        while self.result("v") != "5" and time.time() < deadline:
            time.sleep(0.2)
        self.assertEqual(self.result("v"), "5")

    def test_4_stack_overflow(self):
        content, _ = self.run_cell("func down(n int) int { return down(n+1) + 1 }\ndown(0)")
        self.assertEqual(content["status"], "error")
        self.assertEqual(content["ename"], "StackOverflow", content)
        self.assertEqual(self.result("x"), "41")

    def test_5_memory(self):
        content, _ = self.run_cell("var keep [][]byte\nfor {\n\tkeep = append(keep, make([]byte, 1<<20))\n}")
        self.assertEqual(content["status"], "error")
        self.assertEqual(content["ename"], "MemoryError", content)
        self.assertEqual(self.result("len(keep) > 100"), "true")
        self.assertEqual(self.result("keep = nil\nx"), "41")

    def test_6_exit(self):
        content, _ = self.run_cell('import "os"\nos.Exit(3)')
        self.assertEqual(content["ename"], "Exit", content)
        self.assertIn("os.Exit(3)", content["evalue"])
        self.assertEqual(self.result("x"), "41")

    def test_7_is_complete_deep(self):
        for code, want in [("func f() " + "{" * 10000, "incomplete"),
                           ("x := " + "(" * 10000 + "1" + ")" * 10000, "complete"),
                           ("x := " + "(" * 10000 + "]", "invalid")]:
            self.kc.is_complete(code)
            reply = self.kc.get_shell_msg(timeout=TIMEOUT)
            self.assertEqual(reply["msg_type"], "is_complete_reply")
            self.assertEqual(reply["content"]["status"], want)

    def crash(self, code, want):
        """Runs a cell that ends the process and checks the crash monitor's
        report reaches its output."""
        msg_id = self.kc.execute(code)
        msg = self.iopub_of(msg_id, lambda m: m["msg_type"] == "error")
        self.assertEqual(msg["content"]["ename"], "KernelDied", msg["content"])
        self.assertIn(want, msg["content"]["evalue"])
        deadline = time.time() + 10
        while self.km.is_alive() and time.time() < deadline:
            time.sleep(0.1)
        self.assertFalse(self.km.is_alive(), "the kernel still runs")

    def test_8_crash_stack(self):
        self.crash('import "runtime/debug"\ndebug.SetMaxStack(1 << 20)\n'
                   'func deeper(n int) int { return deeper(n+1) + 1 }\ndeeper(0)', "stack overflow")

    def test_9_crash_callback_panic(self):
        self.km.restart_kernel(now=True)
        self.kc.wait_for_ready(timeout=TIMEOUT)
        self.crash('import "time"\ntime.AfterFunc(0, func() { panic("in a callback") })\n'
                   'time.Sleep(5 * time.Second)', "panic: in a callback")


if __name__ == "__main__":
    unittest.main(verbosity=2)
