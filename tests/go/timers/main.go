// Timers: time.Sleep, time.After and time.Ticker in select, time.AfterFunc,
// context deadlines. Prints counts and orderings, never durations; timers
// whose order is checked are 40ms or more apart (real time under load).
package main

import (
	"context"
	"fmt"
	"sync"
	"time"
)

func main() {
	start := time.Now()
	time.Sleep(20 * time.Millisecond)
	fmt.Println("slept at least 20ms:", time.Since(start) >= 20*time.Millisecond)

	never := make(chan int)
	select {
	case <-never:
		fmt.Println("never")
	case <-time.After(15 * time.Millisecond):
		fmt.Println("time.After fired")
	}

	t := time.NewTicker(3 * time.Millisecond)
	ticks := 0
	stop := time.After(100 * time.Millisecond)
	for ticks < 5 {
		select {
		case <-t.C:
			ticks++
		case <-stop:
			fmt.Println("ticker too slow")
			ticks = 99
		}
	}
	t.Stop()
	fmt.Println("ticks", ticks)

	var wg sync.WaitGroup
	var mu sync.Mutex
	order := []int{}
	for _, ms := range []int{100, 10, 55} {
		wg.Add(1)
		ms := ms
		time.AfterFunc(time.Duration(ms)*time.Millisecond, func() {
			mu.Lock()
			order = append(order, ms)
			mu.Unlock()
			wg.Done()
		})
	}
	wg.Wait()
	fmt.Println("AfterFunc order", order)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	<-ctx.Done()
	fmt.Println("context:", ctx.Err())

	timer := time.NewTimer(time.Hour)
	fmt.Println("stopped long timer:", timer.Stop())

	results := make(chan int, 3)
	for i := 3; i >= 1; i-- {
		go func(i int) {
			time.Sleep(time.Duration(i) * 40 * time.Millisecond)
			results <- i
		}(i)
	}
	fmt.Println("sleepers woke in order", <-results, <-results, <-results)
	fmt.Println("monotonic total >= 100ms:", time.Since(start) >= 100*time.Millisecond)
}
