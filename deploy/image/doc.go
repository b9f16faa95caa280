// Package image holds the recipe of the kefu OCI image (Containerfile and
// build.sh, run by `make image`) and the test that builds the image and
// starts the binary inside it. It has no Go API.
package image
