// Asynchronous preemption: on one P, a goroutine spinning in a loop with no
// calls can only be stopped by the runtime's SIGURG (sent with tgkill to the
// thread running it); main must still wake up, and the GC must still run.
package main

import (
	"fmt"
	"runtime"
	"time"
)

var sink uint64

func spin(stop *bool) {
	x := uint64(1)
	for !*stop {
		x = x*6364136223846793005 + 1442695040888963407
	}
	sink = x
}

func main() {
	runtime.GOMAXPROCS(1)
	stop := false
	go spin(&stop)
	go spin(&stop)
	time.Sleep(10 * time.Millisecond)
	fmt.Println("main ran while two goroutines spin")
	runtime.GC()
	fmt.Println("GC finished with spinning goroutines")
	stop = true
	time.Sleep(time.Millisecond)
	fmt.Println("done")
}
