// panic and recover, including runtime errors the Go runtime raises from
// hardware faults (a nil pointer dereference is a SIGSEGV its handler turns
// into a panic) and from its own checks.
package main

import (
	"errors"
	"fmt"
	"os"
)

type node struct {
	next *node
	val  int
}

func try(name string, f func()) {
	defer func() {
		r := recover()
		if err, ok := r.(error); ok {
			var re interface{ RuntimeError() }
			fmt.Printf("%s: recovered error %q runtime=%v\n", name, err.Error(), errors.As(err, &re))
		} else {
			fmt.Printf("%s: recovered %v\n", name, r)
		}
	}()
	f()
}

//go:noinline
func deref(n *node) int { return n.next.val }

//go:noinline
func index(s []int, i int) int { return s[i] }

//go:noinline
func div(a, b int) int { return a / b }

func deep(n int) int {
	if n == 0 {
		panic(fmt.Sprintf("deep panic at depth %d", n))
	}
	return deep(n-1) + 1
}

func main() {
	try("custom", func() { panic("boom") })
	try("error value", func() { panic(errors.New("an error")) })
	try("nil deref", func() { fmt.Println(deref(&node{})) })
	try("nil deref again", func() { var p *node; p.val = 3 })
	try("index", func() { fmt.Println(index([]int{1, 2, 3}, 5)) })
	try("divide", func() { fmt.Println(div(1, 0)) })
	try("nil map", func() { var m map[string]int; m["a"] = 1 })
	try("type assertion", func() { var x interface{} = "s"; fmt.Println(x.(int)) })
	try("closed channel", func() { c := make(chan int); close(c); close(c) })
	try("deep", func() { deep(1000) })
	try("repanic", func() {
		defer func() { panic(fmt.Sprint("second after ", recover())) }()
		panic("first")
	})
	done := make(chan string)
	go func() {
		defer func() { done <- fmt.Sprint("goroutine recovered: ", recover()) }()
		var p *node
		_ = p.next.val
	}()
	fmt.Println(<-done)
	for i := 0; i < 100; i++ {
		try("loop", func() { deref(nil) })
	}
	fmt.Fprintln(os.Stderr, "to stderr")
	fmt.Println("survived")
}
