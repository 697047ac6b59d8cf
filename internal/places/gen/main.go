// Command gen builds places.tsv.gz, the ZIP code directory that package
// places embeds, from the GeoNames US postal code export and the list of
// 3-digit ZIP prefixes.
//
// Usage (from internal/places, or through go generate):
//
//	go run ./gen -us US.txt -zip3 zip3.csv -o places.tsv.gz [-v]
//
// The output is deterministic: the same input files give byte-identical
// output, so regenerating without new data leaves the file unchanged.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
)

func main() {
	usPath := flag.String("us", "", "path of the GeoNames US postal code file (US.txt, tab-separated)")
	zip3Path := flag.String("zip3", "", "path of the 3-digit ZIP prefix list (zip3.csv: id,city,state)")
	outPath := flag.String("o", "places.tsv.gz", "path of the gzip-compressed directory to write")
	verbose := flag.Bool("v", false, "print every region with its subareas to standard error")
	flag.Parse()

	if *usPath == "" || *zip3Path == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*usPath, *zip3Path, *outPath, *verbose); err != nil {
		log.Fatal(err)
	}
}

func run(usPath, zip3Path, outPath string, verbose bool) error {
	zips, err := readZIPs(usPath)
	if err != nil {
		return err
	}
	prefixes, err := readZIP3(zip3Path)
	if err != nil {
		return err
	}

	subareas, err := buildSubareas(zips, prefixes)
	if err != nil {
		return err
	}
	regions := buildRegions(subareas)
	if err := nameRegions(regions, zips); err != nil {
		return err
	}

	if verbose {
		printRegions(os.Stderr, regions)
	}

	f, err := os.Create(outPath)
	if err != nil {
		return err
	}
	if err := write(f, regions, zips); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", outPath, err)
	}
	return f.Close()
}
