module github.com/modern-go/reflect2

go 1.12
