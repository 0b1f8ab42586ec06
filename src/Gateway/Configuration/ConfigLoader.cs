using System.Text.Json;
using System.Text.Json.Serialization;

namespace Exchange.Gateway.Configuration;

/// <summary>Reads and writes <see cref="GatewayConfig"/> as JSON: camelCase names, comments allowed, unknown names refused.</summary>
public static class ConfigLoader
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>The configuration embedded in the executable (docs/protocol.md section 10).</summary>
    public static GatewayConfig Default()
    {
        using var stream = typeof(ConfigLoader).Assembly.GetManifestResourceStream("Exchange.Gateway.default-config.json")
            ?? throw new InvalidOperationException("the default configuration is missing from the executable");
        return Parse(stream, "embedded default configuration");
    }

    public static GatewayConfig Load(string path)
    {
        using var stream = File.OpenRead(path);
        return Parse(stream, path);
    }

    public static GatewayConfig Parse(Stream json, string origin)
    {
        GatewayConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<GatewayConfig>(json, Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{origin}: {e.Message}", e);
        }
        if (config is null) throw new InvalidDataException($"{origin}: empty configuration");
        try
        {
            config.Validate();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{origin}: {e.Message}", e);
        }
        return config;
    }

    /// <summary>Reads a cluster section on its own (<c>exchange serve --cluster FILE</c>, docs/cluster.md).</summary>
    public static ClusterConfig LoadCluster(string path)
    {
        using var stream = File.OpenRead(path);
        ClusterConfig? cluster;
        try
        {
            cluster = JsonSerializer.Deserialize<ClusterConfig>(stream, Json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        return cluster ?? throw new InvalidDataException($"{path}: empty cluster configuration");
    }

    public static string ToJson(GatewayConfig config) => JsonSerializer.Serialize(config, Json);
}
