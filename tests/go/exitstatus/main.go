// os.Exit with a status after buffered and unbuffered output; deferred calls do not run.
package main

import (
	"bufio"
	"fmt"
	"os"
)

func main() {
	defer fmt.Println("deferred: must not print")
	w := bufio.NewWriter(os.Stdout)
	fmt.Fprintln(w, "buffered line")
	w.Flush()
	fmt.Fprintln(os.Stderr, "error: exiting with 7")
	os.Exit(7)
}
