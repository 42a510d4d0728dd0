using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using FluentValidation.Results;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Whistle.Api.Features.Stats;

namespace Whistle.Api.Features.Published;

/// <summary>
/// <c>GET /api/v1/public/results</c>: the published results list (实效清单), for anyone and without a credential; what it
/// shows is <see cref="Publication"/>'s. Newest result first, a page at a time, with the district's figures for the same
/// filters and month (the statistics service's own, not restated here). Cacheable: ETag and If-None-Match.
/// </summary>
public static class ListResults
{
    public const int DefaultLimit = 20;
    public const int MaxLimit = 100;

    public sealed record Query
    {
        [FromQuery(Name = "streetCode"), Description("Only results in this street.")]
        public string? StreetCode { get; set; }

        [FromQuery(Name = "communityCode"), Description("Only results in this community.")]
        public string? CommunityCode { get; set; }

        [FromQuery(Name = "categoryCode"), Description("Only results of this category.")]
        public string? CategoryCode { get; set; }

        [FromQuery(Name = "month"), Description("Only problems dealt with in this month (yyyy-MM, in the district's time zone); the figures are that month's.")]
        public string? Month { get; set; }

        [FromQuery(Name = "limit"), Description("Results per page, 1 to 100 (default 20).")]
        public int? Limit { get; set; }

        [FromQuery(Name = "cursor"), Description("nextCursor of the previous page.")]
        public string? Cursor { get; set; }
    }

    /// <param name="Items">Up to limit results, the latest dealt with first.</param>
    /// <param name="NextCursor">Pass as cursor for the next page; null on the last page.</param>
    /// <param name="Figures">The district's figures over orders whistled in the month (or ever, without one) in the filters' area and category; null for a private category.</param>
    public sealed record Page(IReadOnlyList<PublishedResult> Items, string? NextCursor, PublishedFigures? Figures);

    /// <param name="Code">The order's code, as residents and the desk quote it.</param>
    /// <param name="Position">The place, rounded to about 100 m (never the exact address).</param>
    /// <param name="FoundAt">When the problem was found (filed).</param>
    /// <param name="FinishedAt">When it was dealt with: resolved by the department, or handled by the community itself.</param>
    /// <param name="HandledBy">The department that resolved it, or the community that handled it itself.</param>
    /// <param name="HoursTaken">Hours from found to dealt with.</param>
    /// <param name="Result">What was done, as the handler reported it.</param>
    /// <param name="Rating">The evaluation (satisfied, basically-satisfied, …); null when it was not evaluated.</param>
    /// <param name="Photos">Before (discovery) and after (resolution) photos, none withdrawn.</param>
    public sealed record PublishedResult(
        string Code, string CategoryCode, string CategoryName, string StreetCode, string StreetName, string CommunityCode, string CommunityName,
        Position Position, DateTimeOffset FoundAt, DateTimeOffset? FinishedAt, string HandledBy, double? HoursTaken, string? Result,
        Rating? Rating, IReadOnlyList<PublishedPhoto> Photos);

    public sealed record Position(double Latitude, double Longitude);

    /// <param name="Stage">discovery (before) or resolution (after).</param>
    /// <param name="Url">The image, public.</param>
    /// <param name="ThumbnailUrl">Its thumbnail, public.</param>
    public sealed record PublishedPhoto(Guid Id, PhotoStage Stage, string Url, string ThumbnailUrl);

    /// <summary>The assessment figures residents are shown (the statistics service's definitions; see Figures).</summary>
    public sealed record PublishedFigures(
        DateTimeOffset? From, DateTimeOffset? To, long ValidOrders, long CompletedOrders, double? CompletionRate, double? OnTimeCompletionRate,
        double? SatisfactionRate);

    private sealed record Cursor(DateTimeOffset At, long Number);

    internal static async Task<IResult> HandleAsync(
        [AsParameters] Query query, HttpContext http, WhistleDbContext db, IMediator mediator, PeriodParser periods,
        IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json, CancellationToken cancellationToken)
    {
        var (from, to) = Month(query.Month, periods);
        var limit = query.Limit ?? DefaultLimit;
        var cursor = Decode(query.Cursor);
        if (limit is < 1 or > MaxLimit)
        {
            throw new ValidationException([new ValidationFailure("limit", $"'limit' must be a whole number from 1 to {MaxLimit}.")]);
        }
        var results = db.Published();
        if (query.StreetCode is { } street)
        {
            results = results.Where(o => o.StreetCode == street);
        }
        if (query.CommunityCode is { } community)
        {
            results = results.Where(o => o.CommunityCode == community);
        }
        if (query.CategoryCode is { } category)
        {
            results = results.Where(o => o.CategoryCode == category);
        }
        // Dealt with: the resolution's time, or the community's own handling's.
        if (from is { } start)
        {
            results = results.Where(o => (o.ResolvedAt ?? o.HandledLocallyAt) >= start);
        }
        if (to is { } end)
        {
            results = results.Where(o => (o.ResolvedAt ?? o.HandledLocallyAt) < end);
        }
        if (cursor is not null)
        {
            results = results.Where(o => (o.ResolvedAt ?? o.HandledLocallyAt) < cursor.At
                || ((o.ResolvedAt ?? o.HandledLocallyAt) == cursor.At && o.Number < cursor.Number));
        }
        var page = await results.OrderByDescending(o => o.ResolvedAt ?? o.HandledLocallyAt).ThenByDescending(o => o.Number)
            .Take(limit + 1).ToListAsync(cancellationToken);
        var more = page.Count > limit;
        page = page.Take(limit).ToList();

        var names = await NamesAsync(db, cancellationToken);
        var items = page.Select(o => ToResult(o, names, http.Request.PathBase)).ToList();
        var next = more && page[^1] is { } last ? Encode(new Cursor(Publication.FinishedAt(last)!.Value, last.Number)) : null;
        var isPrivate = query.CategoryCode is { } code && await db.PrivateCategories.AnyAsync(c => c.CategoryCode == code, cancellationToken);
        var figures = isPrivate ? null : await FiguresAsync(mediator, query, cancellationToken);
        var answer = new Page(items, next, figures);

        // The ETag of the bytes: a page that says the same is a 304, however often a screen asks.
        var body = JsonSerializer.SerializeToUtf8Bytes(answer, json.Value.SerializerOptions);
        var etag = $"\"{Convert.ToHexStringLower(SHA256.HashData(body))[..32]}\"";
        http.Response.Headers.ETag = etag;
        http.Response.Headers.CacheControl = "public, max-age=60";
        if (http.Request.Headers.IfNoneMatch.Any(v => v is not null && v.Split(',').Any(t => t.Trim() == etag || t.Trim() == "*")))
        {
            return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        }
        return TypedResults.Bytes(body, "application/json; charset=utf-8");
    }

    private static async Task<PublishedFigures> FiguresAsync(IMediator mediator, Query query, CancellationToken cancellationToken)
    {
        var filter = new StatsFilter
        {
            From = query.Month is { } month ? month + "-01" : null,
            To = query.Month is { } m ? LastDay(m) : null,
            StreetCode = query.StreetCode,
            CommunityCode = query.CommunityCode,
            CategoryCode = query.CategoryCode,
        };
        var summary = await mediator.Send(new GetSummary.Query(filter), cancellationToken);
        var f = summary.Figures;
        return new PublishedFigures(summary.From, summary.To, f.ValidOrders, f.CompletedOrders, f.CompletionRate, f.OnTimeCompletionRate, f.SatisfactionRate);
    }

    private static string LastDay(string month)
    {
        var first = DateOnly.ParseExact(month + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture);
        return first.AddMonths(1).AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
    }

    private static (DateTimeOffset? From, DateTimeOffset? To) Month(string? month, PeriodParser periods)
    {
        if (month is null)
        {
            return (null, null);
        }
        if (!DateOnly.TryParseExact(month + "-01", "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
            || month.Length != 7
            || !periods.TryParseStart(month + "-01", out var from) || !periods.TryParseEnd(LastDay(month), out var to))
        {
            throw new ValidationException([new ValidationFailure("month", "'month' is a month written yyyy-MM (2026-03).")]);
        }
        return (from, to);
    }

    internal sealed record Names(
        IReadOnlyDictionary<string, string> Categories, IReadOnlyDictionary<string, string> Streets,
        IReadOnlyDictionary<string, string> Communities, IReadOnlyDictionary<string, string> Departments);

    internal static async Task<Names> NamesAsync(WhistleDbContext db, CancellationToken cancellationToken) => new(
        await db.Categories.AsNoTracking().ToDictionaryAsync(c => c.Code, c => c.Name, cancellationToken),
        await db.Streets.AsNoTracking().ToDictionaryAsync(c => c.Code, c => c.Name, cancellationToken),
        await db.Communities.AsNoTracking().ToDictionaryAsync(c => c.Code, c => c.Name, cancellationToken),
        await db.Departments.AsNoTracking().ToDictionaryAsync(c => c.Code, c => c.Name, cancellationToken));

    /// <summary>An order as published: only the fields <see cref="Publication"/> names.</summary>
    private static PublishedResult ToResult(Order o, Names names, PathString pathBase)
    {
        var finished = Publication.FinishedAt(o);
        var handledBy = o.State == OrderState.HandledLocally || o.DepartmentCode is null
            ? names.Communities.GetValueOrDefault(o.CommunityCode, o.CommunityCode)
            : names.Departments.GetValueOrDefault(o.DepartmentCode, o.DepartmentCode);
        return new PublishedResult(
            Whistle.Domain.Orders.OrderCode.Format(o.Number),
            o.CategoryCode, names.Categories.GetValueOrDefault(o.CategoryCode, o.CategoryCode),
            o.StreetCode, names.Streets.GetValueOrDefault(o.StreetCode, o.StreetCode),
            o.CommunityCode, names.Communities.GetValueOrDefault(o.CommunityCode, o.CommunityCode),
            new Position(Publication.Coarsen(o.Location.Latitude), Publication.Coarsen(o.Location.Longitude)),
            o.FiledAt, finished, handledBy,
            finished is { } at ? Math.Round((at - o.FiledAt).TotalHours, 1) : null,
            o.Result, o.Rating,
            o.Photos.Where(Publication.IsPublished).Select(p => new PublishedPhoto(p.Id, p.Stage,
                $"{pathBase}/api/v1/public/photos/{p.Id}", $"{pathBase}/api/v1/public/photos/{p.Id}/thumbnail")).ToList());
    }

    private static string Encode(Cursor cursor) =>
        Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{cursor.At.UtcTicks}.{cursor.Number}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static Cursor? Decode(string? text)
    {
        if (text is null)
        {
            return null;
        }
        try
        {
            var padded = text.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - padded.Length % 4) % 4);
            var parts = System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(padded)).Split('.');
            if (parts.Length == 2 && long.TryParse(parts[0], CultureInfo.InvariantCulture, out var ticks) && long.TryParse(parts[1], CultureInfo.InvariantCulture, out var number)
                && ticks is >= 0 and <= 3155378975999999999)
            {
                return new Cursor(new DateTimeOffset(ticks, TimeSpan.Zero), number);
            }
        }
        catch (FormatException)
        {
        }
        throw new ValidationException([new ValidationFailure("cursor", "'cursor' is not one this service handed out; use nextCursor from the previous page.")]);
    }
}
