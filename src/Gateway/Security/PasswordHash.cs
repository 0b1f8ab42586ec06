using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace Exchange.Gateway.Security;

/// <summary>
/// A salted PBKDF2-SHA256 password hash in the form <c>pbkdf2-sha256$ITERATIONS$SALT$HASH</c> (base64 salt and hash).
/// Verification compares in constant time.
/// </summary>
public sealed class PasswordHash
{
    public const int MinIterations = 100_000;
    public const int DefaultIterations = 100_000;
    private const string Prefix = "pbkdf2-sha256";

    private readonly byte[] _salt;
    private readonly byte[] _hash;

    private PasswordHash(int iterations, byte[] salt, byte[] hash)
    {
        Iterations = iterations;
        _salt = salt;
        _hash = hash;
    }

    public int Iterations { get; }

    /// <summary>Hashes a password with a fresh 16-byte salt.</summary>
    public static string Create(string password, int iterations = DefaultIterations)
    {
        if (iterations < MinIterations) throw new ArgumentOutOfRangeException(nameof(iterations), $"at least {MinIterations}");
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, 32);
        return $"{Prefix}${iterations}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    }

    public static bool TryParse(string text, [NotNullWhen(true)] out PasswordHash? hash, out string why)
    {
        hash = null;
        var parts = text.Split('$');
        if (parts.Length != 4 || parts[0] != Prefix)
        {
            why = $"password must be a hash '{Prefix}$ITERATIONS$SALT$HASH' (exchange serve --hash-password)";
            return false;
        }
        if (!int.TryParse(parts[1], System.Globalization.NumberStyles.None, null, out var iterations) || iterations < MinIterations)
        {
            why = $"password hash needs at least {MinIterations} iterations";
            return false;
        }
        var salt = new byte[parts[2].Length];
        var digest = new byte[parts[3].Length];
        if (!Convert.TryFromBase64String(parts[2], salt, out var saltLength) || saltLength < 8 ||
            !Convert.TryFromBase64String(parts[3], digest, out var hashLength) || hashLength < 16)
        {
            why = "password hash: salt (>= 8 bytes) and hash (>= 16 bytes) must be base64";
            return false;
        }
        hash = new PasswordHash(iterations, salt[..saltLength], digest[..hashLength]);
        why = "";
        return true;
    }

    /// <summary>PBKDF2 of the candidate compared with the stored hash in constant time (costs the iterations).</summary>
    public bool Verify(ReadOnlySpan<byte> password)
    {
        Span<byte> derived = stackalloc byte[_hash.Length];
        Rfc2898DeriveBytes.Pbkdf2(password, _salt, derived, Iterations, HashAlgorithmName.SHA256);
        return CryptographicOperations.FixedTimeEquals(derived, _hash);
    }
}
