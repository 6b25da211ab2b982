// The smallest Go program: the runtime starts its threads, prints, exits 0.
package main

import "fmt"

func main() {
	fmt.Println("hello from go")
}
