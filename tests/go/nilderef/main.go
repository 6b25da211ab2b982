// An unrecovered nil pointer dereference: the runtime prints the SIGSEGV
// report (signal, code, fault address) and the goroutine trace, exit status 2.
package main

import "fmt"

type T struct{ x, y int }

//go:noinline
func get(t *T) int { return t.y }

func main() {
	fmt.Println("before")
	fmt.Println(get(nil))
}
