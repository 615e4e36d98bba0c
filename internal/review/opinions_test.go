package review_test

import "os"

// opinionsFile reads the detector's corpus itself, so the review copy cannot drift from it unnoticed.
func opinionsFile() (string, error) {
	b, err := os.ReadFile("../detect/testdata/opinions.txt")
	if err != nil {
		return "", err
	}
	c, err := os.ReadFile("opinions.txt")
	if err != nil {
		return "", err
	}
	if string(b) != string(c) {
		return "", errDrift
	}
	return string(b), nil
}

type driftError struct{}

func (driftError) Error() string {
	return "internal/review/opinions.txt differs from internal/detect/testdata/opinions.txt: copy it again"
}

var errDrift error = driftError{}
