// Package dist is the build output folder of the plugins (`make plugins`
// writes <name>.wasm here) and embeds it: a go:embed pattern cannot reach
// a parent folder, so the embed lives beside the files and package
// plugins/builtin serves them by name. Only this file and README.md are
// committed; the pattern also matches README.md so it is valid before the
// first build.
package dist

import "embed"

// FS holds every file of this folder as built when the binary was compiled.
//
//go:embed *
var FS embed.FS
