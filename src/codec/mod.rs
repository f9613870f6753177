//! Request body decompression with a hard cap on the output: a compression bomb costs at
//! most the cap, never the whole expansion.

use std::io::Read;

use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum DecompressError {
    #[error("unsupported content encoding `{0}` (supported: gzip, deflate, zstd, br, identity)")]
    Unsupported(String),
    #[error("body larger than {limit} bytes after decompression")]
    TooLarge { limit: usize },
    #[error("body is not valid {encoding}: {message}")]
    Corrupt { encoding: &'static str, message: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContentEncoding {
    Identity,
    Gzip,
    Deflate,
    Zstd,
    Brotli,
}

impl ContentEncoding {
    /// Parses `Content-Encoding` (HTTP) or `grpc-encoding` (gRPC).
    pub fn parse(value: Option<&str>) -> Result<ContentEncoding, DecompressError> {
        let Some(value) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(ContentEncoding::Identity);
        };
        match value.to_ascii_lowercase().as_str() {
            "identity" => Ok(ContentEncoding::Identity),
            "gzip" | "x-gzip" => Ok(ContentEncoding::Gzip),
            "deflate" => Ok(ContentEncoding::Deflate),
            "zstd" => Ok(ContentEncoding::Zstd),
            "br" => Ok(ContentEncoding::Brotli),
            _ => Err(DecompressError::Unsupported(value.chars().take(32).collect())),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ContentEncoding::Identity => "identity",
            ContentEncoding::Gzip => "gzip",
            ContentEncoding::Deflate => "deflate",
            ContentEncoding::Zstd => "zstd",
            ContentEncoding::Brotli => "br",
        }
    }
}

/// Decompresses `input`, failing with `TooLarge` as soon as the output passes `limit`.
pub fn decompress(encoding: ContentEncoding, input: &[u8], limit: usize) -> Result<Vec<u8>, DecompressError> {
    match encoding {
        ContentEncoding::Identity => {
            if input.len() > limit {
                return Err(DecompressError::TooLarge { limit });
            }
            Ok(input.to_vec())
        }
        ContentEncoding::Gzip => read_capped(flate2::read::MultiGzDecoder::new(input), "gzip", limit, input.len()),
        ContentEncoding::Deflate => {
            // HTTP `deflate` is zlib-wrapped, but some clients send raw deflate.
            match read_capped(flate2::read::ZlibDecoder::new(input), "deflate", limit, input.len()) {
                Err(DecompressError::Corrupt { .. }) => {
                    read_capped(flate2::read::DeflateDecoder::new(input), "deflate", limit, input.len())
                }
                other => other,
            }
        }
        ContentEncoding::Zstd => {
            let decoder = zstd::stream::read::Decoder::new(input).map_err(|e| DecompressError::Corrupt {
                encoding: "zstd",
                message: e.to_string(),
            })?;
            read_capped(decoder, "zstd", limit, input.len())
        }
        ContentEncoding::Brotli => read_capped(brotli::Decompressor::new(input, 4096), "br", limit, input.len()),
    }
}

fn read_capped(
    reader: impl Read,
    encoding: &'static str,
    limit: usize,
    input_len: usize,
) -> Result<Vec<u8>, DecompressError> {
    let mut out = Vec::with_capacity(input_len.saturating_mul(4).min(limit));
    // One byte past the limit tells "exactly at the limit" from "over it".
    let mut capped = reader.take(limit as u64 + 1);
    capped.read_to_end(&mut out).map_err(|e| DecompressError::Corrupt {
        encoding,
        message: e.to_string(),
    })?;
    if out.len() > limit {
        return Err(DecompressError::TooLarge { limit });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn every_encoding_round_trips() {
        let data = b"hello otlp".repeat(100);
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        zlib.write_all(&data).unwrap();
        let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        raw.write_all(&data).unwrap();
        let mut br = Vec::new();
        brotli::BrotliCompress(&mut &data[..], &mut br, &Default::default()).unwrap();
        let cases = [
            (ContentEncoding::Identity, data.clone()),
            (ContentEncoding::Gzip, gzip(&data)),
            (ContentEncoding::Deflate, zlib.finish().unwrap()),
            (ContentEncoding::Deflate, raw.finish().unwrap()),
            (ContentEncoding::Zstd, zstd::encode_all(&data[..], 3).unwrap()),
            (ContentEncoding::Brotli, br),
        ];
        for (encoding, body) in cases {
            assert_eq!(decompress(encoding, &body, 1 << 20).unwrap(), data, "{encoding:?}");
        }
    }

    #[test]
    fn a_bomb_stops_at_the_cap() {
        let bomb = gzip(&vec![0u8; 64 << 20]);
        assert!(bomb.len() < 128 << 10);
        assert_eq!(
            decompress(ContentEncoding::Gzip, &bomb, 1 << 20),
            Err(DecompressError::TooLarge { limit: 1 << 20 })
        );
        let zbomb = zstd::encode_all(&vec![0u8; 64 << 20][..], 3).unwrap();
        assert_eq!(
            decompress(ContentEncoding::Zstd, &zbomb, 1 << 20),
            Err(DecompressError::TooLarge { limit: 1 << 20 })
        );
    }

    #[test]
    fn exactly_at_the_cap_is_accepted() {
        let data = vec![1u8; 1000];
        assert_eq!(
            decompress(ContentEncoding::Gzip, &gzip(&data), 1000).unwrap().len(),
            1000
        );
        assert!(decompress(ContentEncoding::Gzip, &gzip(&data), 999).is_err());
    }

    #[test]
    fn garbage_and_unknown_encodings_are_errors() {
        assert!(matches!(
            decompress(ContentEncoding::Gzip, b"nope", 100),
            Err(DecompressError::Corrupt { .. })
        ));
        assert!(matches!(
            ContentEncoding::parse(Some("lz4")),
            Err(DecompressError::Unsupported(_))
        ));
        assert_eq!(ContentEncoding::parse(Some(" GZIP ")), Ok(ContentEncoding::Gzip));
        assert_eq!(ContentEncoding::parse(None), Ok(ContentEncoding::Identity));
    }
}
