// Package dataset reads labelled text from the JSONL folders used for
// training and evaluation: the shared sets under ../shared/datasets (whose
// field names differ: text/intent, text/label, utt/intent, text/lang) and the
// product's own sets under models/data.
package dataset

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Example is one labelled text.
type Example struct {
	Text   string
	Label  string
	Kind   string // langid: sentence, word-pair, single-word, utterance
	Locale string // xSID and product data: zh-CN, en-US, …
}

// ErrNoSplit reports that a folder has no file for the requested split.
var ErrNoSplit = errors.New("dataset: split not found")

// textKeys and the per-task label keys, in order of preference.
var textKeys = []string{"text", "utt", "review", "sentence"}

// Read parses JSONL from r. labelKeys lists the fields that may hold the
// label, in order of preference; numeric labels are kept as their decimal
// string. Lines without text or label are an error naming the line.
func Read(r io.Reader, name string, labelKeys []string) ([]Example, error) {
	var out []Example
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	line := 0
	for sc.Scan() {
		line++
		raw := strings.TrimSpace(sc.Text())
		if raw == "" {
			continue
		}
		var row map[string]any
		if err := json.Unmarshal([]byte(raw), &row); err != nil {
			return nil, fmt.Errorf("dataset: %s line %d: %w", name, line, err)
		}
		var ex Example
		for _, k := range textKeys {
			if s, ok := row[k].(string); ok && s != "" {
				ex.Text = s
				break
			}
		}
		for _, k := range labelKeys {
			switch v := row[k].(type) {
			case string:
				ex.Label = v
			case float64:
				ex.Label = strconv.FormatFloat(v, 'f', -1, 64)
			case bool:
				ex.Label = strconv.FormatBool(v)
			}
			if ex.Label != "" {
				break
			}
		}
		if ex.Text == "" || ex.Label == "" {
			return nil, fmt.Errorf("dataset: %s line %d: need a text (one of %v) and a label (one of %v)", name, line, textKeys, labelKeys)
		}
		ex.Kind, _ = row["kind"].(string)
		ex.Locale, _ = row["locale"].(string)
		if ex.Locale == "" {
			ex.Locale, _ = row["lang"].(string)
		}
		out = append(out, ex)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("dataset: reading %s: %w", name, err)
	}
	return out, nil
}

// ReadFile reads one JSONL file.
func ReadFile(path string, labelKeys []string) ([]Example, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("dataset: %w", err)
	}
	defer f.Close()
	return Read(f, path, labelKeys)
}

// SplitPath returns the file of split ("train", "dev", "test") in dir. A
// folder without train.jsonl trains on dev.jsonl. When dir is itself a
// .jsonl file, it is returned for every split.
func SplitPath(dir, split string) (string, error) {
	if st, err := os.Stat(dir); err == nil && st.Mode().IsRegular() {
		return dir, nil // a single JSONL file stands for every split
	}
	p := filepath.Join(dir, split+".jsonl")
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	if split == "train" {
		p = filepath.Join(dir, "dev.jsonl")
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("dataset: %s in %s: %w", split, dir, ErrNoSplit)
}

// Load reads split of the folder dir.
func Load(dir, split string, labelKeys []string) ([]Example, error) {
	p, err := SplitPath(dir, split)
	if err != nil {
		return nil, err
	}
	return ReadFile(p, labelKeys)
}
