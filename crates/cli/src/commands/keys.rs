//! `koprik key …`: officers' and adapters' signing keys — generate a key pair, register its public key in the
//! registry, revoke it, list them.

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use koprik_proto::ids::SubsystemId;
use koprik_proto::registry::signing_keys_client::SigningKeysClient;
use koprik_proto::registry::{
    ListSigningKeysRequest, RegisterSigningKeyRequest, RevokeSigningKeyRequest, SignatureAlgorithm, SigningKey,
    SigningKeyPurpose,
};
use koprik_proto::signing::PrivateKey;
use koprik_proto::tonic::transport::Channel;

use crate::show;

/// Whose key.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Purpose {
    /// An officer of a consumer, signing requests (REG-2 p. 14).
    Officer,
    /// A provider's adapter, signing answers.
    Adapter,
}

/// Signing-key commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate an Ed25519 key pair: the private key as PKCS#8 PEM in --out (mode 0600); prints the public key.
    Generate {
        /// Where to write the private key.
        #[arg(long)]
        out: PathBuf,
    },
    /// Register a public key for a subsystem.
    Register {
        /// The id to register it under (1-64 letters, digits, '.', '_', '-').
        #[arg(long)]
        key_id: String,
        /// The subsystem it signs for (adapter keys: any subsystem of the provider).
        #[arg(long)]
        subsystem: String,
        /// Officer (signs requests) or adapter (signs answers).
        #[arg(long, value_enum)]
        purpose: Purpose,
        /// The public key, 64 hex digits (as `koprik key generate` prints it).
        #[arg(long, conflicts_with = "key_file")]
        public_key: Option<String>,
        /// Or a private key file to take the public key from.
        #[arg(long)]
        key_file: Option<PathBuf>,
        /// Officer keys: the officer's full name.
        #[arg(long, default_value = "")]
        holder_name: String,
        /// Officer keys: the officer's position.
        #[arg(long, default_value = "")]
        holder_position: String,
    },
    /// Revoke a key for good.
    Revoke {
        /// The key to revoke.
        key_id: String,
        /// Why.
        #[arg(long)]
        reason: String,
    },
    /// List keys, of one subsystem or all.
    List {
        /// Only this subsystem's keys.
        #[arg(long)]
        subsystem: Option<String>,
    },
}

fn public_key(public_key: Option<String>, key_file: Option<PathBuf>) -> anyhow::Result<Vec<u8>> {
    match (public_key, key_file) {
        (Some(hex_key), None) => {
            let bytes = hex::decode(hex_key.trim()).map_err(|e| anyhow::anyhow!("--public-key: not hex: {e}"))?;
            anyhow::ensure!(bytes.len() == 32, "--public-key: must be 32 bytes (64 hex digits)");
            Ok(bytes)
        }
        (None, Some(path)) => {
            let pem = std::fs::read_to_string(&path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            Ok(PrivateKey::from_pem(&pem).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?.public_key())
        }
        _ => anyhow::bail!("give the key: --public-key HEX or --key-file PEM"),
    }
}

/// Writes `key` to `path` as PEM, readable by the owner only.
pub fn write_private_key(key: &PrivateKey, path: &std::path::Path) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| anyhow::anyhow!("{}: {e} (an existing key is never overwritten)", path.display()))?;
    file.write_all(key.to_pem()?.as_bytes())?;
    Ok(())
}

/// Runs a key command (registering is the operator's; a consumer or provider may revoke its own keys).
pub async fn run(command: Command, channel: Channel) -> anyhow::Result<()> {
    let mut client = SigningKeysClient::new(channel);
    match command {
        Command::Generate { out } => generate(&out)?,
        Command::Register {
            key_id,
            subsystem,
            purpose,
            public_key: hex_key,
            key_file,
            holder_name,
            holder_position,
        } => {
            let subsystem: SubsystemId =
                subsystem.parse().map_err(|e| anyhow::anyhow!("--subsystem {subsystem:?}: {e}"))?;
            let key = SigningKey {
                key_id,
                subsystem: Some((&subsystem).into()),
                purpose: match purpose {
                    Purpose::Officer => SigningKeyPurpose::Officer,
                    Purpose::Adapter => SigningKeyPurpose::Adapter,
                } as i32,
                algorithm: SignatureAlgorithm::Ed25519 as i32,
                public_key: public_key(hex_key, key_file)?,
                holder_name,
                holder_position,
                ..SigningKey::default()
            };
            let request = RegisterSigningKeyRequest { key: Some(key) };
            println!("{}", show::signing_key(client.register_signing_key(request).await?.get_ref()));
        }
        Command::Revoke { key_id, reason } => {
            let request = RevokeSigningKeyRequest { key_id, reason };
            println!("{}", show::signing_key(client.revoke_signing_key(request).await?.get_ref()));
        }
        Command::List { subsystem } => {
            let subsystem = subsystem
                .map(|s| s.parse::<SubsystemId>().map_err(|e| anyhow::anyhow!("--subsystem {s:?}: {e}")))
                .transpose()?;
            let request = ListSigningKeysRequest { subsystem: subsystem.as_ref().map(Into::into) };
            client
                .list_signing_keys(request)
                .await?
                .get_ref()
                .keys
                .iter()
                .for_each(|k| println!("{}", show::signing_key(k)));
        }
    }
    Ok(())
}

/// `koprik key generate --out FILE`.
pub fn generate(out: &std::path::Path) -> anyhow::Result<()> {
    let key = PrivateKey::generate();
    write_private_key(&key, out)?;
    println!("private key  {}", out.display());
    println!("public key   {}", hex::encode(key.public_key()));
    Ok(())
}
