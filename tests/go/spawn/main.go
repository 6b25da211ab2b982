// os/exec: the program runs itself (found as "spawn" on PATH) as a child
// with arguments, environment, stdin and captured output, and reads its
// exit status; a missing program is an error.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

func child() {
	fmt.Println("child args:", os.Args[2:], "CHILD_VAR =", os.Getenv("CHILD_VAR"))
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		fmt.Println("child read:", strings.ToUpper(in.Text()))
	}
	fmt.Fprintln(os.Stderr, "child stderr line")
	if len(os.Args) > 2 && os.Args[2] == "fail" {
		os.Exit(3)
	}
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "child" {
		child()
		return
	}
	path, err := exec.LookPath("spawn")
	fmt.Println("found on PATH:", err == nil && strings.HasSuffix(path, "/spawn"))

	cmd := exec.Command("spawn", "child", "one", "two words")
	cmd.Env = append(os.Environ(), "CHILD_VAR=hello")
	cmd.Stdin = strings.NewReader("line a\nline b\n")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	fmt.Printf("output %q err %v stderr %q\n", out, err, stderr.String())

	cmd = exec.Command("spawn", "child", "fail")
	both, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	fmt.Printf("combined %q exit code %d as ExitError %v\n", both, cmd.ProcessState.ExitCode(), errors.As(err, &ee))

	for i := 0; i < 3; i++ {
		c := exec.Command("spawn", "child", fmt.Sprint(i))
		o, err := c.Output()
		fmt.Printf("run %d: %q %v\n", i, o, err)
	}

	_, err = exec.Command("no-such-program-kvrm").Output()
	fmt.Println("missing:", err)
}
