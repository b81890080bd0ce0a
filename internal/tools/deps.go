//go:build tools

// Package tools pins modules in go.mod while the packages that use them are being written.
package tools

import (
	_ "github.com/cloudsoda/go-smb2"
	_ "github.com/stretchr/testify/require"
	_ "golang.org/x/sys/windows"
	_ "golang.org/x/term"
	_ "gopkg.in/yaml.v3"
)
