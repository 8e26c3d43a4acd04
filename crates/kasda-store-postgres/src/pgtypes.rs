//! Wire types the driver lacks: JSON text sent as-is.

use bytes::{BufMut, BytesMut};
use postgres_types::{to_sql_checked, IsNull, ToSql, Type};

/// JSON text already serialised by serde, sent to a `json` column byte for byte (or to `jsonb`
/// with its version byte). Saves building a `serde_json::Value` per row on the COPY path.
#[derive(Debug)]
pub struct RawJson<'a>(pub &'a str);

impl ToSql for RawJson<'_> {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        if *ty == Type::JSONB {
            out.put_u8(1);
        }
        out.put_slice(self.0.as_bytes());
        Ok(IsNull::No)
    }

    fn accepts(ty: &Type) -> bool {
        *ty == Type::JSON || *ty == Type::JSONB
    }

    to_sql_checked!();
}
