// Package safetensors reads and writes float32 tensors in the safetensors
// format (https://huggingface.co/docs/safetensors), latentflow's checkpoint
// format.
//
// # Format
//
// A file is
//
//	N       8 bytes, little-endian uint64: the length of the header
//	header  N bytes of UTF-8 JSON, padded with spaces
//	buffer  the tensors' data, little-endian, row-major, back to back
//
// The header maps each tensor name to {"dtype": "F32", "shape": [...],
// "data_offsets": [begin, end]}, with byte offsets relative to the start of
// the buffer, and may hold "__metadata__": a map of strings to strings.
// The tensors tile the buffer exactly: no gaps, no overlaps, nothing after
// the last one.
//
// Write pads the header to a multiple of 8 bytes (so the buffer is 8-byte
// aligned, as the reference implementation does) and stores the CRC-32C
// (Castagnoli) of the buffer in the metadata under ChecksumKey. Files from
// other writers have no checksum and read fine; only dtype F32 is
// supported.
//
// # Error handling
//
// Write is atomic: it writes a temporary file in the target's directory,
// syncs it and renames it over the target, so a crash leaves either the old
// file or the new one, never half of either.
//
// Read trusts nothing it has not checked against the file: a header length
// beyond the file or MaxHeader, invalid JSON, an unsupported dtype, a shape
// that does not match its offsets, offsets outside the buffer, gaps or
// overlaps, and a checksum mismatch are all errors. Every failure of Read or
// Write is returned as an *Error naming the file and what was wrong.
//
// Misuse by the caller of Write (a shape that does not match the data, a
// duplicate or empty name) panics with a "safetensors: ..." message.
package safetensors
