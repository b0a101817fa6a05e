"""Interrupting the "Go (Stylelab)" kernel keeps its state: a long transfer
is stopped by interrupt_request (the kernelspec's interrupt mode) and by
SIGINT, an interpreted endless loop too, and later cells still see earlier
variables. Also: a cell reading standard input gets a line through
input_request, cells queued behind a failing one are aborted, and a
restart gives a fresh session. Run by kernel/jupyter_test.go with JUPYTER_PATH,
STYLELAB_SHARED and STYLELAB_DB set."""

import os
import queue
import signal
import time
import unittest

from jupyter_client.manager import start_new_kernel

TIMEOUT = 60


class InterruptTests(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.km, cls.kc = start_new_kernel(kernel_name=os.environ.get("STYLELAB_KERNEL_NAME", "stylelab"))

    @classmethod
    def tearDownClass(cls):
        cls.kc.stop_channels()
        cls.km.shutdown_kernel()

    def run_cell(self, code, allow_stdin=False):
        """Runs code and returns the reply and its iopub outputs."""
        outputs = []
        reply = self.kc.execute_interactive(
            code, timeout=TIMEOUT, allow_stdin=allow_stdin, output_hook=outputs.append,
            stdin_hook=None if not allow_stdin else self.answer_input)
        return reply, outputs

    def answer_input(self, msg):
        self.kc.input("gopher")

    def result_text(self, outputs):
        for m in outputs:
            if m["msg_type"] == "execute_result":
                return m["content"]["data"]["text/plain"]
        return None

    def start_long_transfer(self, name):
        """Starts a long transfer and waits until its progress bar moves."""
        code = f'''cfg := transfer.Defaults()
cfg.Name = "{name}"
cfg.Experiment = "kernel-interrupt-test"
cfg.ContentPath = filepath.Join(shared, "images", "tubingen.jpg")
cfg.Styles = []transfer.Style{{{{Path: filepath.Join(shared, "images", "starry_night.jpg")}}}}
cfg.Size = 64
cfg.Iterations = 100000
res, err := display.Transfer(ctx, lab, cfg)'''
        msg_id = self.kc.execute(code)
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            try:
                msg = self.kc.get_iopub_msg(timeout=1)
            except queue.Empty:
                continue
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "error":
                self.fail("the transfer failed: " + msg["content"]["evalue"])
            if msg["msg_type"] == "update_display_data" and " 2/100000" in str(msg["content"]["data"]) or \
               msg["msg_type"] == "update_display_data" and "running" in str(msg["content"]["data"]):
                return msg_id
        self.fail("the transfer showed no progress")

    def wait_reply(self, msg_id):
        deadline = time.time() + TIMEOUT
        while time.time() < deadline:
            reply = self.kc.get_shell_msg(timeout=TIMEOUT)
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply
        self.fail("no reply")

    def test_1_setup(self):
        reply, _ = self.run_cell('''import (
	"os"
	"path/filepath"
	"github.com/stylelab/stylelab/experiments"
	"github.com/stylelab/stylelab/transfer"
)
shared := os.Getenv("STYLELAB_SHARED")
lab, err := experiments.OpenLab(filepath.Join(shared, "weights", "vgg19-imagenet-tfjs-uint8"), "")
if err != nil {
	panic(err)
}
x := 41''')
        self.assertEqual(reply["content"]["status"], "ok", reply["content"])

    def test_2_interrupt_message(self):
        msg_id = self.start_long_transfer("interrupted-by-message")
        t0 = time.time()
        self.km.interrupt_kernel()  # the kernelspec says interrupt_mode "message"
        reply = self.wait_reply(msg_id)
        self.assertLess(time.time() - t0, 20, "the interrupt took too long")
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "Interrupted")
        reply, outputs = self.run_cell("x + 1")
        self.assertEqual(reply["content"]["status"], "ok")
        self.assertEqual(self.result_text(outputs), "42")

    def test_3_interrupt_sigint(self):
        msg_id = self.start_long_transfer("interrupted-by-sigint")
        self.km.signal_kernel(signal.SIGINT)
        reply = self.wait_reply(msg_id)
        self.assertEqual(reply["content"]["status"], "error")
        self.assertEqual(reply["content"]["ename"], "Interrupted")
        reply, outputs = self.run_cell("x + 2")
        self.assertEqual(self.result_text(outputs), "43")

    def test_4_interrupt_interpreted_loop(self):
        msg_id = self.kc.execute("y := 0\nfor {\n\ty++\n}")
        time.sleep(1)
        self.km.interrupt_kernel()
        reply = self.wait_reply(msg_id)
        self.assertEqual(reply["content"]["ename"], "Interrupted")
        reply, outputs = self.run_cell("y > 0 && x == 41")
        self.assertEqual(self.result_text(outputs), "true")

    def test_5_stdin(self):
        reply, outputs = self.run_cell('var name string\nfmt.Print("name? ")\nfmt.Scanln(&name)\nname', allow_stdin=True)
        self.assertEqual(reply["content"]["status"], "ok", reply["content"])
        self.assertEqual(self.result_text(outputs), '"gopher"')

    def test_6_stdin_not_allowed(self):
        reply, outputs = self.run_cell('var line string\n_, err := fmt.Scanln(&line)\nerr')
        self.assertEqual(reply["content"]["status"], "ok", reply["content"])
        self.assertIn("EOF", self.result_text(outputs) or "")

    def test_7_abort_after_error(self):
        # "Run all": cells queued behind a failing one are aborted.
        fail = 'import "time"\ntime.Sleep(300 * time.Millisecond)\npanic("stop here")'
        ids = [self.kc.execute(code) for code in (fail, "z := 1", "z")]
        statuses = [self.wait_reply(i)["content"]["status"] for i in ids]
        self.assertEqual(statuses, ["error", "aborted", "aborted"])
        reply, _ = self.run_cell("z")  # never ran
        self.assertEqual(reply["content"]["status"], "error")

    def test_8_restart(self):
        pid = self.km.provisioner.process.pid
        self.km.restart_kernel(now=False)  # shutdown_request with restart=True
        self.kc.wait_for_ready(timeout=TIMEOUT)
        self.assertNotEqual(self.km.provisioner.process.pid, pid)
        reply, outputs = self.run_cell("1+1")
        self.assertEqual(self.result_text(outputs), "2")
        reply, _ = self.run_cell("x")  # a new session
        self.assertEqual(reply["content"]["status"], "error")


if __name__ == "__main__":
    unittest.main(verbosity=2)
