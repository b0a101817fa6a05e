"""The Jupyter kernel conformance suite (jupyter_kernel_test) against the
installed "Go (Stylelab)" kernel. Run by kernel/jupyter_test.go with
JUPYTER_PATH pointing at a temporary kernelspec."""

import os
import unittest

import jupyter_kernel_test


class GoStylelabKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = os.environ.get("STYLELAB_KERNEL_NAME", "stylelab")
    language_name = "go"
    file_extension = ".go"

    code_hello_world = 'fmt.Println("hello, world")'
    code_stderr = 'import "os"\nfmt.Fprintln(os.Stderr, "oops")'

    completion_samples = [
        {"text": "fmt.Sprin", "matches": {"Sprint", "Sprintf", "Sprintln"}},
        {"text": "transfer.Defa", "matches": {"Defaults"}},
    ]

    complete_code_samples = ["1+1", "x := 6 * 7", "func f() int { return 1 }", 'import "math"', ""]
    incomplete_code_samples = ["func f() int {", "for i := 0; i < 3; i++ {", "x := []int{1,", "s := `raw"]
    invalid_code_samples = ["x := := 1", "func ) {", "1 +* 2 }"]

    code_page_something = "fmt.Println?"

    code_generate_error = 'panic("boom")'

    code_execute_result = [
        {"code": "6*7", "result": "42"},
        {"code": '"go" + "pher"', "result": '"gopher"'},
        {"code": "1.5 * 2", "result": "3"},
    ]

    code_display_data = [
        {"code": 'display.Show(ctx, display.HTML("<b>hi</b>"))', "mime": "text/html"},
        {"code": 'import "image"\ndisplay.Show(ctx, image.NewRGBA(image.Rect(0, 0, 8, 8)))', "mime": "image/png"},
    ]

    code_history_pattern = "6?7"
    supported_history_operations = ("tail", "range", "search")

    code_inspect_sample = "experiments.OpenLab"

    code_clear_output = "display.Clear(ctx, false)"


if __name__ == "__main__":
    unittest.main(verbosity=2)
