using System.Diagnostics;

namespace Exchange.Gateway.Tests.Support;

/// <summary>The <c>exchange</c> executable (exchange.dll beside the tests) as a real child process, stdout and stderr redirected.</summary>
internal static class ExchangeProcess
{
    public static Process Start(params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "exchange.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        return Process.Start(start)!;
    }
}
