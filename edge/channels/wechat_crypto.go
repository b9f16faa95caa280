package channels

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// WeChat's message encryption ("safe mode", the WXBizMsgCrypt scheme that
// Official Accounts and WeCom share): the 43-character EncodingAESKey plus
// "=" is the base64 of a 32-byte AES-256 key; the IV is the key's first 16
// bytes; the plaintext is 16 random bytes, the message length (4 bytes,
// big-endian), the message, and the receiver id (the AppID, or the WeCom
// CorpID), padded PKCS#7 to a multiple of 32 bytes; the ciphertext is sent
// base64-encoded. msg_signature is the SHA-1 of the sorted token,
// timestamp, nonce and ciphertext.

var errCrypt = errors.New("channels: wechat ciphertext refused")

func aesKey(encodingAESKey string) ([]byte, error) {
	if len(encodingAESKey) != 43 {
		return nil, fmt.Errorf("aes key must be 43 characters, got %d", len(encodingAESKey))
	}
	k, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil || len(k) != 32 {
		return nil, fmt.Errorf("aes key is not base64 of 32 bytes")
	}
	return k, nil
}

// wechatSignature is the hex SHA-1 of the sorted parts concatenated.
func wechatSignature(parts ...string) string {
	p := append([]string(nil), parts...)
	sort.Strings(p)
	sum := sha1.Sum([]byte(strings.Join(p, "")))
	return hex.EncodeToString(sum[:])
}

// wechatDecrypt opens a base64 ciphertext and returns the message, checking
// that the receiver id is receiver.
func wechatDecrypt(encodingAESKey, receiver, b64 string) ([]byte, error) {
	key, err := aesKey(encodingAESKey)
	if err != nil {
		return nil, err
	}
	ct, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("%w: not base64", errCrypt)
	}
	if len(ct) == 0 || len(ct)%aes.BlockSize != 0 {
		return nil, fmt.Errorf("%w: length %d is not a whole number of blocks", errCrypt, len(ct))
	}
	block, _ := aes.NewCipher(key)
	pt := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, key[:16]).CryptBlocks(pt, ct)
	pad := int(pt[len(pt)-1])
	if pad < 1 || pad > 32 || pad > len(pt) {
		return nil, fmt.Errorf("%w: bad padding", errCrypt)
	}
	pt = pt[:len(pt)-pad]
	if len(pt) < 20 {
		return nil, fmt.Errorf("%w: too short", errCrypt)
	}
	n := binary.BigEndian.Uint32(pt[16:20])
	if uint64(n) > uint64(len(pt)-20) {
		return nil, fmt.Errorf("%w: length field %d over the %d bytes left", errCrypt, n, len(pt)-20)
	}
	msg, from := pt[20:20+n], pt[20+n:]
	if !bytes.Equal(from, []byte(receiver)) {
		return nil, fmt.Errorf("%w: addressed to %q, not %q", errCrypt, clip(string(from)), receiver)
	}
	return msg, nil
}

// wechatEncrypt seals msg for receiver; the result is base64.
func wechatEncrypt(encodingAESKey, receiver string, msg []byte) (string, error) {
	key, err := aesKey(encodingAESKey)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	var r [16]byte
	_, _ = rand.Read(r[:])
	buf.Write(r[:])
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(msg)))
	buf.Write(n[:])
	buf.Write(msg)
	buf.WriteString(receiver)
	pad := 32 - buf.Len()%32
	buf.Write(bytes.Repeat([]byte{byte(pad)}, pad))
	pt := buf.Bytes()
	block, _ := aes.NewCipher(key)
	ct := make([]byte, len(pt))
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(ct, pt)
	return base64.StdEncoding.EncodeToString(ct), nil
}

// WeChatSignature is WeChat's signature: the hex SHA-1 of the sorted parts
// (token, timestamp, nonce; plus the ciphertext for msg_signature). For
// local stand-ins of WeChat and tests.
func WeChatSignature(parts ...string) string { return wechatSignature(parts...) }

// WeChatSeal encrypts msg for the account appID with the EncodingAESKey,
// as WeChat does in safe mode; the result is base64. For stand-ins and tests.
func WeChatSeal(encodingAESKey, appID string, msg []byte) (string, error) {
	return wechatEncrypt(encodingAESKey, appID, msg)
}

// WeChatOpen decrypts a safe-mode ciphertext addressed to appID. For
// stand-ins and tests.
func WeChatOpen(encodingAESKey, appID, b64 string) ([]byte, error) {
	return wechatDecrypt(encodingAESKey, appID, b64)
}
