namespace Whistle.Api.Features.Reference;

/// <summary>The district's reference data: streets, communities, grids, departments and the duty catalogue.</summary>
public static class ReferenceEndpoints
{
    // RetiredAt on every entry: when it was retired (it takes no new orders or routes but keeps its
    // history and figures); null while it is in use. Lists show retired entries too.

    /// <param name="RetiredAt">When it was retired; null while in use.</param>
    public sealed record StreetResponse(string Code, string Name, DateTimeOffset? RetiredAt);

    /// <param name="RetiredAt">When it was retired; null while in use.</param>
    public sealed record CommunityResponse(string Code, string Name, string StreetCode, DateTimeOffset? RetiredAt);

    /// <param name="RetiredAt">When it was retired; null while in use.</param>
    public sealed record GridResponse(string Code, string Name, string CommunityCode, string StreetCode, DateTimeOffset? RetiredAt);

    /// <param name="RetiredAt">When it was retired; null while in use.</param>
    public sealed record DepartmentResponse(string Code, string Name, DateTimeOffset? RetiredAt);

    /// <summary>A category and its duty catalogue entry.</summary>
    /// <param name="DepartmentCode">The department an order of this category is whistled to unless another is named.</param>
    /// <param name="AcknowledgeWithinHours">Hours from the whistle to acknowledge a normal order.</param>
    /// <param name="ResolveWithinHours">Hours from the whistle to resolve a normal order.</param>
    /// <param name="UrgentAcknowledgeWithinHours">The same for an urgent order.</param>
    /// <param name="UrgentResolveWithinHours">The same for an urgent order.</param>
    /// <param name="ResolveInWorkingDays">The resolve limits count only working days' time (24 hours per working day,
    /// weekends and Whistle:Holidays skipped in Whistle:TimeZone).</param>
    /// <param name="RequiresResolutionPhoto">Resolving an order of this category needs a resolution photo on it (else 400).</param>
    /// <param name="RetiredAt">When it was retired; null while in use.</param>
    public sealed record CategoryResponse(
        string Code, string Name, string DepartmentCode,
        int AcknowledgeWithinHours, int ResolveWithinHours, int UrgentAcknowledgeWithinHours, int UrgentResolveWithinHours,
        bool ResolveInWorkingDays, DateTimeOffset? RetiredAt, bool RequiresResolutionPhoto = false);

    public sealed record ListStreets : IQuery<IReadOnlyList<StreetResponse>>;

    public sealed record ListCommunities(string? StreetCode) : IQuery<IReadOnlyList<CommunityResponse>>;

    public sealed record ListGrids(string? CommunityCode, string? StreetCode) : IQuery<IReadOnlyList<GridResponse>>;

    public sealed record ListDepartments : IQuery<IReadOnlyList<DepartmentResponse>>;

    public sealed record ListCategories(string? DepartmentCode) : IQuery<IReadOnlyList<CategoryResponse>>;

    public sealed class Handler(WhistleDbContext db) :
        IQueryHandler<ListStreets, IReadOnlyList<StreetResponse>>,
        IQueryHandler<ListCommunities, IReadOnlyList<CommunityResponse>>,
        IQueryHandler<ListGrids, IReadOnlyList<GridResponse>>,
        IQueryHandler<ListDepartments, IReadOnlyList<DepartmentResponse>>,
        IQueryHandler<ListCategories, IReadOnlyList<CategoryResponse>>
    {
        public async ValueTask<IReadOnlyList<StreetResponse>> Handle(ListStreets query, CancellationToken cancellationToken) =>
            await db.Streets.AsNoTracking().OrderBy(s => s.Code)
                .Select(s => new StreetResponse(s.Code, s.Name, s.RetiredAt)).ToListAsync(cancellationToken);

        public async ValueTask<IReadOnlyList<CommunityResponse>> Handle(ListCommunities query, CancellationToken cancellationToken) =>
            await db.Communities.AsNoTracking()
                .Where(c => query.StreetCode == null || c.StreetCode == query.StreetCode)
                .OrderBy(c => c.Code)
                .Select(c => new CommunityResponse(c.Code, c.Name, c.StreetCode, c.RetiredAt)).ToListAsync(cancellationToken);

        public async ValueTask<IReadOnlyList<GridResponse>> Handle(ListGrids query, CancellationToken cancellationToken) =>
            await db.Grids.AsNoTracking()
                .Join(db.Communities, g => g.CommunityCode, c => c.Code, (g, c) => new { Grid = g, c.StreetCode })
                .Where(x => query.CommunityCode == null || x.Grid.CommunityCode == query.CommunityCode)
                .Where(x => query.StreetCode == null || x.StreetCode == query.StreetCode)
                .OrderBy(x => x.Grid.Code)
                .Select(x => new GridResponse(x.Grid.Code, x.Grid.Name, x.Grid.CommunityCode, x.StreetCode, x.Grid.RetiredAt))
                .ToListAsync(cancellationToken);

        public async ValueTask<IReadOnlyList<DepartmentResponse>> Handle(ListDepartments query, CancellationToken cancellationToken) =>
            await db.Departments.AsNoTracking().OrderBy(d => d.Code)
                .Select(d => new DepartmentResponse(d.Code, d.Name, d.RetiredAt)).ToListAsync(cancellationToken);

        public async ValueTask<IReadOnlyList<CategoryResponse>> Handle(ListCategories query, CancellationToken cancellationToken) =>
            await db.Categories.AsNoTracking()
                .Where(c => query.DepartmentCode == null || c.DepartmentCode == query.DepartmentCode)
                .OrderBy(c => c.Code)
                .Select(c => new CategoryResponse(c.Code, c.Name, c.DepartmentCode, c.AcknowledgeWithinHours,
                    c.ResolveWithinHours, c.UrgentAcknowledgeWithinHours, c.UrgentResolveWithinHours, c.ResolveInWorkingDays, c.RetiredAt, c.RequiresResolutionPhoto))
                .ToListAsync(cancellationToken);
    }

    public static void MapReference(this IEndpointRouteBuilder app)
    {
        var reference = app.MapGroup("/api/v1").WithTags("Reference data");
        // A change answered here is in force for this instance's next request (other instances hear the notification).
        reference.AddEndpointFilter(async (context, next) =>
        {
            var result = await next(context);
            if (!HttpMethods.IsGet(context.HttpContext.Request.Method))
            {
                context.HttpContext.RequestServices.GetRequiredService<ReferenceCache>().Invalidate();
            }
            return result;
        });
        ManageReference.MapManagement(reference);
        Redivide.Map(reference);
        DutyCatalogueEndpoints.Map(reference);
        ReferenceChanges.Map(reference);
        CalendarEndpoints.Map(reference);
        ReferenceSpreadsheetEndpoints.Map(reference);

        reference.MapGet("/streets", async Task<Ok<IReadOnlyList<StreetResponse>>> (IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new ListStreets(), ct)))
            .WithName("ListStreets").WithSummary("List streets").WithDescription("Street offices (街道), by code.");

        reference.MapGet("/communities", async Task<Ok<IReadOnlyList<CommunityResponse>>> (
                [Description("Only this street's communities.")] string? streetCode, IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new ListCommunities(streetCode), ct)))
            .WithName("ListCommunities").WithSummary("List communities").WithDescription("Communities (社区) with their street, by code.");

        reference.MapGet("/grids", async Task<Ok<IReadOnlyList<GridResponse>>> (
                [Description("Only this community's grids.")] string? communityCode,
                [Description("Only this street's grids.")] string? streetCode,
                IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new ListGrids(communityCode, streetCode), ct)))
            .WithName("ListGrids").WithSummary("List grids").WithDescription("Grids (网格) with their community and street, by code.");

        reference.MapGet("/departments", async Task<Ok<IReadOnlyList<DepartmentResponse>>> (IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new ListDepartments(), ct)))
            .WithName("ListDepartments").WithSummary("List departments").WithDescription("Departments and units that answer whistles, by code.");

        reference.MapGet("/categories", async Task<Ok<IReadOnlyList<CategoryResponse>>> (
                [Description("Only categories this department answers.")] string? departmentCode,
                IMediator mediator, CancellationToken ct) =>
                TypedResults.Ok(await mediator.Send(new ListCategories(departmentCode), ct)))
            .WithName("ListCategories").WithSummary("List categories (the duty catalogue)")
            .WithDescription("Each category names the department that answers it and its acknowledge and resolve limits, in hours from the whistle.");
    }
}
