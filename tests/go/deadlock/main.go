// Every goroutine blocks: the runtime detects it and exits with status 2.
package main

import (
	"fmt"
	"sync"
)

func main() {
	var mu sync.Mutex
	ch := make(chan int)
	go func() {
		mu.Lock()
		ch <- 1
	}()
	fmt.Println(<-ch)
	mu.Lock()
	fmt.Println("unreachable")
}
