namespace Exchange.Client;

/// <summary>
/// The server's answer to a login: accepted with the session and the next sequence number, or rejected with the
/// SoupBinTCP reason (<c>A</c> not authorized, <c>S</c> session not available; <c>\0</c> if the connection closed first).
/// </summary>
public readonly record struct LoginResult(bool Accepted, char RejectReason, string Session, long NextSequence, string? Debug);
