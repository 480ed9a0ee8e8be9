// A program of its own module that imports kag by its module path, as a
// downstream project does: tests/consumers/gomod.sh builds it with a
// replace directive pointing at the kag tree, offline.
package main

import (
	"fmt"
	"os"

	"kag.example/kag"
)

func main() {
	eng, err := kag.NewEngine(kag.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer eng.Close()
	vs, rejected, err := eng.Judge([]byte(`{"verb":"create","objectRef":{"resource":"pods",`+
		`"subresource":"exec","namespace":"prod","name":"api"},"user":{"username":"alice"},`+
		`"stage":"ResponseStarted","responseStatus":{"code":101}}`+"\n"), "")
	if err != nil || len(rejected) > 0 {
		fmt.Fprintln(os.Stderr, err, rejected)
		os.Exit(1)
	}
	for _, v := range vs {
		fmt.Println(v.Detector, v.Assessment)
	}
}
