package srvsvc

import "context"

// RawCall exposes one RPC on the client's pipe to the external tests, which compare Samba's
// own bytes with Samba's own parser.
func RawCall(ctx context.Context, c *Client, opnum uint16, stub []byte) ([]byte, error) {
	return c.call(ctx, opnum, stub)
}
