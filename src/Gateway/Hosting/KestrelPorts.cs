using System.Net;
using Exchange.Gateway.Configuration;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Exchange.Gateway.Hosting;

/// <summary>
/// The one way the gateway builds a Kestrel host for raw TCP ports (<see cref="GatewayServer"/>, a cluster node's
/// <see cref="StreamServer"/> and <see cref="OrderEntryPort"/>): no HTTP pipeline beyond what a caller maps, the
/// transport's write buffer bound and inline scheduling from the configuration, and the port's connection cap.
/// </summary>
internal static class KestrelPorts
{
    /// <param name="service">The singleton the ports' connection handlers are built with.</param>
    /// <param name="listen">Binds the ports (<c>k.Listen(…)</c>), each with its connection handler.</param>
    public static WebApplication Build<TService>(GatewayConfig config, Action<ILoggingBuilder>? configureLogging, TService service,
        Action<KestrelServerOptions> listen) where TService : class
    {
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "exchange" });
        configureLogging?.Invoke(builder.Logging);
        builder.Services.AddSingleton(service);
        builder.WebHost.UseKestrelCore();
        builder.WebHost.UseSockets(o =>
        {
            o.MaxWriteBufferSize = config.Limits.TransportBufferBytes;
            o.UnsafePreferInlineScheduling = config.InlineIo;
        });
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxConcurrentConnections = config.Limits.MaxConnections;
            listen(k);
        });
        return builder.Build();
    }

    /// <summary>Binds <paramref name="port"/> on the configured address to <typeparamref name="THandler"/>; null (and
    /// nothing bound) when the port is off (negative).</summary>
    public static ListenOptions? Listen<THandler>(KestrelServerOptions k, GatewayConfig config, int port) where THandler : ConnectionHandler
    {
        if (port < 0) return null;
        ListenOptions? bound = null;
        k.Listen(IPAddress.Parse(config.Address), port, listen =>
        {
            listen.UseConnectionHandler<THandler>();
            bound = listen;
        });
        return bound;
    }

    /// <summary>The port a started host bound for <paramref name="listen"/> (the configured one, or the one the OS chose
    /// for 0); −1 when it was off.</summary>
    public static int BoundPort(ListenOptions? listen, int configured) =>
        listen is null ? -1 : (listen.EndPoint as IPEndPoint)?.Port ?? configured;
}
