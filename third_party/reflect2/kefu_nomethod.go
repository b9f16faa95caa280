package reflect2

import "reflect"

// Kefu's patch (third_party/README.md): safeType embeds reflect.Type, and
// the promoted Method and MethodByName look methods up by a name or index
// known only at run time. When such a call is reachable, Go's linker must
// keep every exported method of every type that is ever put in an
// interface, which made the kefu binary 8 MB larger. json-iterator, the
// only user of this package in kefu, never calls them; they fail loudly
// instead, like the unsafe operations this package does not support.

// Method is not supported (see above).
func (type2 safeType) Method(int) reflect.Method {
	panic("reflect2: Method is not supported in this build (third_party/README.md)")
}

// MethodByName is not supported (see above).
func (type2 safeType) MethodByName(string) (reflect.Method, bool) {
	panic("reflect2: MethodByName is not supported in this build (third_party/README.md)")
}
