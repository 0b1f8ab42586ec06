using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Exchange.Gateway.Cli;

/// <summary>
/// The server's logging (Microsoft.Extensions.Logging): every entry on stderr (stdout carries the banner), one line
/// each, or JSON lines for a collector. The web host's own chatter (it announces raw TCP ports as "http://") is kept to
/// warnings unless asked for with debug or trace.
/// </summary>
internal static class ServerLogging
{
    public static Action<ILoggingBuilder> Configure(LogLevel minimum, bool json) => builder =>
    {
        builder.ClearProviders();
        builder.SetMinimumLevel(minimum);
        if (minimum > LogLevel.Debug)
        {
            builder.AddFilter("Microsoft", level => level >= LogLevel.Warning && level >= minimum);
            // A failed start is reported by `exchange serve` itself, in one line.
            builder.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
        }
        // The Raft library reports every unreachable peer with a stack trace: only from information down.
        builder.AddFilter("DotNext", minimum <= LogLevel.Information ? minimum : (LogLevel)Math.Max((int)minimum, (int)LogLevel.Error));
        if (json)
            builder.AddJsonConsole(o =>
            {
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
                o.UseUtcTimestamp = true;
            });
        else
            builder.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
                o.UseUtcTimestamp = true;
            });
        builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
    };
}
