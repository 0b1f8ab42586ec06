using System.CommandLine;
using System.Globalization;

namespace Exchange.Gateway.Cli;

/// <summary>Options shared by several commands, with parsers whose errors name the bad value.</summary>
internal static class CommonOptions
{
    /// <summary>A TCP port, 0 to 65535 (absent: null).</summary>
    public static Option<int?> Port(string name, string description) => new(name)
    {
        Description = description,
        HelpName = "port",
        CustomParser = result =>
        {
            var text = result.Tokens[0].Value;
            if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535) return port;
            result.AddError($"{name} '{text}' is not a port number (0 to 65535).");
            return null;
        },
    };

    /// <summary>A whole number at least <paramref name="min"/>, with a default.</summary>
    public static Option<long> Number(string name, string description, string helpName, long min, long defaultValue) => new(name)
    {
        Description = description,
        HelpName = helpName,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result => Parse(result, name, min, defaultValue),
    };

    /// <summary>A whole number at least <paramref name="min"/>, required.</summary>
    public static Argument<long> Number(string name, string description, long min) => new(name)
    {
        Description = description,
        CustomParser = result => Parse(result, name, min, 0),
    };

    /// <summary>Restricts an option to a few words; an error names the option, the value and the choices.</summary>
    public static Option<T> OneOf<T>(Option<T> option, params string[] choices)
    {
        option.HelpName = string.Join('|', choices);
        option.CompletionSources.Add(choices);
        option.Validators.Add(r => Check(option.Name, r, choices));
        return option;
    }

    /// <summary>Restricts an argument to a few words; an error names the argument, the value and the choices.</summary>
    public static Argument<T> OneOf<T>(Argument<T> argument, params string[] choices)
    {
        argument.HelpName = string.Join('|', choices);
        argument.CompletionSources.Add(choices);
        argument.Validators.Add(r => Check(argument.Name, r, choices));
        return argument;
    }

    /// <summary>A configuration file whose instruments and users the command uses instead of the embedded ones.</summary>
    public static Option<string?> Config(string description) => new("--config")
    {
        Description = description,
        HelpName = "file",
    };

    private static void Check(string name, System.CommandLine.Parsing.SymbolResult result, string[] choices)
    {
        foreach (var token in result.Tokens)
            if (Array.IndexOf(choices, token.Value) < 0)
                result.AddError($"{name} '{token.Value}' is not one of: {string.Join(", ", choices)}.");
    }

    private static long Parse(System.CommandLine.Parsing.ArgumentResult result, string name, long min, long fallback)
    {
        if (result.Tokens.Count == 0) return fallback;
        var text = result.Tokens[0].Value;
        if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) && value >= min) return value;
        result.AddError($"{name} '{text}' is not a whole number{(min > long.MinValue ? $" of at least {min}" : "")}.");
        return fallback;
    }
}
