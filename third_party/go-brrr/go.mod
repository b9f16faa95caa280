module github.com/molecule-man/go-brrr

go 1.22.0

require github.com/andybalholm/brotli v1.2.8
