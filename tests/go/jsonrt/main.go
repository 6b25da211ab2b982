// encoding/json: marshal, indent, unmarshal into structs and interfaces, round trip.
package main

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
)

type Address struct {
	Street string `json:"street"`
	Zip    int    `json:"zip,omitempty"`
}

type Person struct {
	Name    string             `json:"name"`
	Age     int                `json:"age"`
	Email   *string            `json:"email"`
	Tags    []string           `json:"tags"`
	Scores  map[string]float64 `json:"scores"`
	Home    Address            `json:"home"`
	private int
}

func main() {
	email := "ann@example.com"
	people := []Person{
		{Name: "Ann", Age: 31, Email: &email, Tags: []string{"a", "b"},
			Scores: map[string]float64{"math": 9.5, "art": 7.25}, Home: Address{"Main St 1", 12345}},
		{Name: "Bob \"B\" <x>", Age: 27, Tags: nil, Scores: map[string]float64{}, Home: Address{Street: "Ünïcode ☃"}},
	}
	b, err := json.Marshal(people)
	fmt.Println(string(b), err)
	ind, _ := json.MarshalIndent(people[0], "", "  ")
	fmt.Println(string(ind))

	var back []Person
	err = json.Unmarshal(b, &back)
	fmt.Println("unmarshal err:", err, "equal:", reflect.DeepEqual(people, back))

	var any interface{}
	_ = json.Unmarshal(b, &any)
	first := any.([]interface{})[0].(map[string]interface{})
	keys := make([]string, 0, len(first))
	for k := range first {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fmt.Println("keys", keys, "age is float64:", reflect.TypeOf(first["age"]))

	var bad Person
	err = json.Unmarshal([]byte(`{"name": 5}`), &bad)
	fmt.Println("type error:", err)
	err = json.Unmarshal([]byte(`{"name": "x"`), &bad)
	fmt.Println("syntax error:", err)

	big := map[string][]int{}
	for i := 0; i < 200; i++ {
		k := fmt.Sprintf("k%03d", i%37)
		big[k] = append(big[k], i*i)
	}
	bb, _ := json.Marshal(big)
	var big2 map[string][]int
	_ = json.Unmarshal(bb, &big2)
	fmt.Println("big:", len(bb), "bytes, round trip", reflect.DeepEqual(big, big2))
}
