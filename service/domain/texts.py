"""Every text people read, in Chinese (first) and English, in one place that every layer can use (web
pages, reports, e-mails, command-line messages) without importing the web layer; and the locale's way of
writing numbers, percentages, dates and times (Babel's CLDR data: 12,345.6 / 4.2 % / 2026年12月4日), times
always in Beijing time (Asia/Shanghai), whatever the server's zone; stored times stay UTC.

``t(key, lang)`` picks a text; ``TEXTS`` holds them as ``key: (zh, en)``. A key not found is shown as
itself, which the page-language browser test (tests/web/test_web_see.py) catches."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_decimal, format_percent

BEIJING = ZoneInfo("Asia/Shanghai")
LOCALES = {"zh": "zh_Hans_CN", "en": "en"}

TEXTS: dict[str, tuple[str, str]] = {
    "app": ("长三角规划目标监测", "YRD plan-target monitoring"),
    "overview": ("总览", "Overview"),
    "plans": ("规划", "Plans"),
    "indicators": ("指标", "Indicators"),
    "entry": ("数据填报", "Data entry"),
    "upload": ("批量导入", "Upload"),
    "login": ("登录", "Log in"),
    "logout": ("退出", "Log out"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "as_of": ("数据截至", "Data as of"),
    "beijing_time": ("北京时间", "Beijing time"),
    "run": ("报告运行", "Report run"),
    "review_submitted": (
        "已报送，待审核：审核通过后计入正式结果",
        "Submitted for review: the figures count once approved",
    ),
    "review_approved": ("已报送，录入即审核通过", "Stored and approved on entry"),
    "review_revisions": (
        "其中 {n} 项为已审核数据的修订申请，审核通过前仍以原值为准",
        "{n} of them correct approved figures: revision requests; the approved values stay in force until approved",
    ),
    "review_link": ("查看审核", "Review"),
    "view_official": ("正式口径：仅采用已审核的数据", "Official: approved figures only"),
    "view_provisional": (
        "暂定口径：含待审核的数据，不作为正式结论",
        "PROVISIONAL: includes figures still under review; not an official result",
    ),
    "no_run": (
        "还没有报告运行。管理员可运行 yrdmon report run，或等待调度器自动计算。",
        "No report run yet. An administrator can run `yrdmon report run`, or wait for the scheduler.",
    ),
    "status_counts": ("各规划目标状态", "Targets by status, per plan"),
    "grid": ("目标达成矩阵（指标 × 地区）", "Attainment grid (indicators × regions)"),
    "filter": ("筛选", "Filter"),
    "regions_range": ("地区 {first}–{last}，共 {total} 个", "Regions {first}–{last} of {total}"),
    "grid_pages": ("矩阵分页", "Grid pages"),
    "rows_range": ("第 {first}–{last} 条，共 {total} 条", "Rows {first}–{last} of {total}"),
    "regions_pages": ("地区分页", "Region pages"),
    "chart_regions_note": (
        "图中为本页地区 {first}–{last}（{first_region}至{last_region}），共 {total} 个地区；全部数据请下载 CSV",
        "The chart shows this page's regions {first}–{last} ({first_region} to {last_region}) of {total}; download the CSV for all of them",
    ),
    "verdict_filter": ("结论（末期）", "Verdict (end of term)"),
    "status_filter": ("状态（中期）", "Status (mid-term)"),
    "first_page": ("首页", "First"),
    "prev_page": ("上一页", "Previous"),
    "next_page": ("下一页", "Next"),
    "last_page": ("末页", "Last"),
    "page_no": ("页码", "Page"),
    "go_to_page": ("跳转", "Go"),
    "region_hint": ("输入地区名称或代码", "Region name or code"),
    "no_match": ("没有符合筛选条件的目标", "No targets match the filters"),
    "all": ("全部", "All"),
    "plan": ("规划", "Plan"),
    "region": ("地区", "Region"),
    "category": ("类别", "Category"),
    "target_year": ("目标年", "Target year"),
    "indicator": ("指标", "Indicator"),
    "target": ("目标", "Target"),
    "status": ("状态", "Status"),
    "latest": ("最新值", "Latest value"),
    "year": ("年份", "Year"),
    "value": ("数值", "Value"),
    "unit": ("单位", "Unit"),
    "download_csv": ("下载数据（CSV）", "Download data (CSV)"),
    "source_sentence": ("规划原文", "Source sentence"),
    "assessment": ("评估", "Assessment"),
    "observations": ("观测值", "Observations"),
    "revised": ("已修订的旧值", "Superseded (revised) value"),
    "baseline": ("基期值", "Baseline"),
    "reference_path": ("序时进度参考路径", "Reference path (schedule)"),
    "required_path": ("剩余所需路径", "Required remaining path"),
    "projection": ("按当前速度的预测", "Projection at the current pace"),
    "trend": ("趋势外推", "Trend projection"),
    "target_point": ("目标值", "Target"),
    "band": ("目标区间（约/左右）", "Target band (about)"),
    "stretch": ("力争值", "Stretch value"),
    "time_elapsed": ("时间进度", "Time elapsed"),
    "completion": ("完成进度", "Completion"),
    "pace_ratio": ("速度比", "Pace ratio"),
    "required_rate": ("剩余年均所需增速", "Required annual rate from now"),
    "actual_rate": ("实际年均增速", "Actual average annual rate"),
    "gap": ("差距", "Gap"),
    "p_meet": ("实现概率", "Probability of meeting it"),
    "evaluation": ("规划评估", "Plan evaluation"),
    "end_of_term": ("末期评估（目标年已到）", "End-of-term evaluation (target year reached)"),
    "mid_term": ("中期评估（远期目标）", "Mid-term evaluation (later targets)"),
    "verdict": ("结论", "Verdict"),
    "evidence": ("依据", "Evidence"),
    "shortfall": ("差额", "Shortfall"),
    "download_report": ("下载评估报告：", "Download the report:"),
    "preliminary_mark": ("（初步数据）", " (preliminary data)"),  # a status resting on a preliminary figure
    "latest_run": ("最新", "latest"),
    "regions_vs_targets": ("各地区与目标对比", "Regions against their targets"),
    "pick_year": ("填报年份", "Year to report"),
    "save": ("保存", "Save"),
    "dry_run": ("试运行（只检查不写入）", "Dry run (check only)"),
    "reason": ("修订原因", "Revision reason"),
    "last_year_value": ("上年值", "Last year's value"),
    "current_value": ("本年已填值", "Value entered"),
    "history": ("修改记录", "History"),
    "confirm": ("确认异常值", "Confirm unusual value"),
    "series_break": ("统计口径调整", "Series break"),
    "other_figures": (
        "其他来源及部分年度数据（未计入评估）",
        "Other sources' and part-year figures (not counted)",
    ),
    "coverage": ("部分年度（如1-10月，全年留空）", "Part of the year (e.g. Jan–Oct; empty: whole year)"),
    "file": ("文件（CSV 或 XLSX）", "File (CSV or XLSX)"),
    "template": ("下载填报模板", "Download a template"),
    "submit": ("提交", "Submit"),
    "login_needed": ("请先登录", "Please log in"),
    "bad_login": ("用户名或密码错误", "Wrong username or password"),
    "login_locked": (
        "登录失败次数过多，已暂时锁定，请 {minutes} 分钟后再试。",
        "Too many failed logins: locked for now; try again in {minutes} min.",
    ),
    "forbidden": ("您无权访问此页面", "You may not open this page"),
    "language": ("English", "中文"),
    "not_found": ("找不到该页面", "Page not found"),
    "rows": ("行", "Row"),
    "problems": ("问题", "Problems"),
    "result": ("结果", "Result"),
    "targets_count": ("目标数", "Number of targets"),
    "plan_issuer": ("发布机关", "Issued by"),
    "base_year": ("基期年", "Base year"),
    "targets_by_year": ("目标数（按目标年）", "Targets by target year"),
    "no_targets": ("无量化目标", "no quantified targets"),
    "subscriptions": ("订阅与推送", "Subscriptions"),
    "plan_reader": ("规划读取", "Plan reader"),
    "nav_review": ("数据审核", "Review"),
    "organisations": ("责任单位", "Organisations"),
    "lead": ("牵头单位", "Lead"),
    "breakdown_link": (
        "目标分解与责任（牵头单位、子目标、年度目标）",
        "Breakdown and responsibility (lead, sub-targets, milestones)",
    ),
    "no_data": ("无数据", "no data"),
    # why a target's status changed (progress e-mails), and how often they come
    "change_new_data": ("新数据", "new data"),
    "change_revised": ("数据修订", "revised data"),
    "change_target_changed": ("目标调整", "target changed"),
    "change_data_withdrawn": ("数据撤回", "data withdrawn"),
    "change_recomputed": ("按新日期重新评估", "re-assessed at a later date"),
    "change_target_added": ("新增目标", "new target"),
    "change_target_removed": ("目标取消", "target removed"),
    "mail_cadence_after_run": ("每次报告运行后（有变化时）", "after each report run that changes something"),
    "mail_cadence_weekly": ("每周", "weekly"),
    "mail_cadence_monthly": ("每月", "monthly"),
    "target_id": ("目标编号", "Target id"),
    "year_suffix": ("年", ""),
    "category_economy": ("经济发展", "Economy"),
    "category_environment": ("生态环境", "Environment"),
    "category_industry": ("产业发展", "Industry"),
    "category_infrastructure": ("基础设施", "Infrastructure"),
    "category_innovation": ("科技创新", "Innovation"),
    "category_openness": ("对外开放", "Openness"),
    "category_people": ("民生福祉", "People's well-being"),
    "category_public_service": ("公共服务", "Public services"),
    "category_other": ("其他", "Other"),
    "email": ("电子邮箱", "E-mail"),
    "mail_lang_zh": ("中文", "in Chinese"),
    "mail_lang_en": ("英文", "in English"),
    "obs_final": ("最终数据", "Final"),
    "obs_preliminary": ("初步数据", "Preliminary"),
    "obs_plan_baseline": ("规划基期值", "Plan baseline"),
    "obs_revised": ("已修订", "Revised"),
    "obs_retracted": ("已撤回", "Retracted"),
    "via_api": ("接口", "API"),
    "via_web": ("网页填报", "Web form"),
    "via_cli": ("命令行导入", "Command line"),
    "via_catalog": ("目录数据文件", "Catalog data file"),
    "via_scheduler": ("调度任务", "Scheduler"),
    "coverage_example": ("1-10月", "Jan–Oct"),
    "entered_by": ("填报人", "Entered by"),
    "entered_at": ("时间", "When"),
    "via": ("途径", "Via"),
    "source": ("来源", "Source"),
    "published": ("发布日期", "Published"),
    "recorded_until": ("录入截至", "recorded until"),
    "published_hint": (
        "来源发布该数据的日期；不填则以录入时间计",
        "when the source made the figures public; left empty, the time of entry stands in",
    ),
    "published_unknown": ("未知（以录入时间 {day} 计）", "unknown ({day}, the entry time, stands in)"),
    "subscribe": ("订阅", "Subscribe"),
    "unsubscribe": ("退订", "Unsubscribe"),
    "cadence": ("频率", "Cadence"),
    "cadence_after_run": ("每次报告运行后（有变化时）", "After each run (when something changed)"),
    "cadence_weekly": ("每周", "Weekly"),
    "cadence_monthly": ("每月", "Monthly"),
    "mail_language": ("推送语言", "Language"),
    "codes_hint": ("代码，逗号分隔，留空为全部", "codes, comma-separated; empty = all"),
    "status_insufficient_data": ("数据不足", "Insufficient data"),
    "status_achieved": ("已实现", "Achieved"),
    "status_achieved_early": ("提前实现", "Achieved early"),
    "status_missed": ("未实现", "Missed"),
    "status_on_track": ("符合序时进度", "On track"),
    "status_needs_acceleration": ("略滞后", "Needs acceleration"),
    "status_off_track": ("明显滞后", "Off track"),
    "status_regressing": ("逆向变化", "Regressing"),
    "status_qualitative": ("定性目标", "Qualitative target"),
    "attribute": ("属性", "Attribute"),
    "attribute_binding": ("约束性", "Binding"),
    "attribute_anticipatory": ("预期性", "Anticipatory"),
    "period": ("规划期", "Plan period"),
    "target_period": ("适用期间", "Period"),
    "qualitative_note": (
        "定性目标：规划未给出数值（如“完成省定目标”“基本稳定”“与经济增长同步”），按原文列示，不作数值评估。",
        "Qualitative target: the plan gives no number (e.g. “meet the province's target”, “basically stable”, “in step with economic growth”); shown with its words, not assessed numerically.",
    ),
    "each_year_note": (
        "逐年目标：期间每一年都须达到该值；末期结论需要每一年的数据。",
        "Yearly target: every year of the period must meet the value; the end-of-term verdict needs every year's figure.",
    ),
    "plan_targets": ("规划目标", "Plan targets"),
    "targets_of_plan": (
        "目标（共 {total} 个：约束性 {binding} 个，预期性 {anticipatory} 个，定性 {qualitative} 个）",
        "Targets ({total}: {binding} binding, {anticipatory} anticipatory, {qualitative} qualitative)",
    ),
    "kinds": ("属性 / 定性", "Attribute / qualitative"),
    "all_targets": ("全部目标", "All targets"),
    "not_assessed_yet": ("尚未评估", "not assessed yet"),
    "no_data_yet": ("暂无数据", "No data yet"),
    "target_in_words": (
        "目标：{words}（基期值未知，未在图中标出）",
        "Target: {words} (base value unknown: not drawn)",
    ),
    "met_at_base": ("基期已达到目标，不计完成进度", "met at the base year: no completion share"),
    # importing wide tables (issue 22)
    "upload_hint": (
        "可上传填报模板，也可直接上传统计公报、统计年鉴中的表格（指标或地区在左侧，年份、地区或指标在表头）；先预览，确认后再导入。",
        "Upload the template, or a table as a statistics bulletin or yearbook prints it (indicators or regions down the side, years, regions or indicators across the top); it is previewed before anything is stored.",
    ),
    "reading": ("表格识别结果", "How the file reads"),
    "sheet": ("工作表", "Sheet"),
    "layout": ("版式", "Layout"),
    "context": ("全表共用", "For the whole table"),
    "cell": ("单元格", "Cell"),
    "label": ("表中名称", "Label"),
    "read_as": ("识别为", "Read as"),
    "correct_to": ("更正为（代码、年份，或“-”忽略）", "Correct to (code, year, or - to leave out)"),
    "role_indicator": ("指标", "indicator"),
    "role_region": ("地区", "region"),
    "role_year": ("年份", "year"),
    "role_unknown": ("未识别", "not known"),
    "role_ignored": ("不导入", "left out"),
    "role_neutral": ("数值列", "value column"),
    "role_unit": ("单位列", "unit column"),
    "how_mapping": ("按您的更正", "as you corrected"),
    "how_remembered": ("按上次的更正", "as corrected last time"),
    "how_context": ("取自标题", "from the title"),
    "did_you_mean": ("是否为", "did you mean"),
    "figures_found": ("个数值", "figure(s)"),
    "left_out": ("个数值未导入", "figure(s) left out"),
    "preview": ("预览", "Preview"),
    "preview_again": ("按更正重新预览", "Preview again with the corrections"),
    "import_now": ("确认导入", "Import"),
    "figures_preview": ("将导入的数值", "Figures it would store"),
    "source_for_all": (
        "数据来源（留空则取表中“资料来源”）",
        "Source (empty: the source note printed with the table)",
    ),
    "reason_for_all": ("修订原因（修订已有数值时必填）", "Revision reason (needed to revise stored figures)"),
    "file_kept": ("已上传的文件", "File uploaded"),
    "whole_region": (
        "全表地区（标题未写明时填代码）",
        "Region of the whole table (a code, if the title names none)",
    ),
    "whole_year": ("全表年份", "Year of the whole table"),
    "status_for_all": ("数据状态", "Status of the figures"),
    "status_final_word": ("最终（年鉴、年报）", "final (yearbook)"),
    "status_preliminary_word": ("初步（公报、快报）", "preliminary (bulletin)"),
    "published_for_all": ("发布日期（公报、年鉴的发布日）", "Publication date (of the bulletin or yearbook)"),
    # the plan reader's pages (/plan-reader)
    "reader_title": ("规划读取", "Plan reader"),
    "reader_intro": (
        "上传新规划（TXT、DOCX 或带文字层的 PDF），系统提出其中的量化目标和基期值，由管理员逐条核对后写入目标库。",
        "Upload a new plan (TXT, DOCX or a PDF with a text layer): the reader proposes its quantitative targets "
        "and baselines, and an administrator reviews each before it enters the catalog.",
    ),
    "reader_file": ("规划文件", "Plan file"),
    "reader_plan_code": (
        "规划代码（小写字母、数字、连字符）",
        "Plan code (lower-case letters, digits, hyphens)",
    ),
    "reader_plan_title": ("规划名称", "Plan title"),
    "reader_issued": ("印发时间（如 2026 或 2026-03）", "Issued (e.g. 2026 or 2026-03)"),
    "reader_region": (
        "规划地区代码（可空，默认从名称识别）",
        "Region code of the plan (optional; read from the title)",
    ),
    "reader_read": ("读取", "Read"),
    "reader_readings": ("已读取的规划", "Plans read"),
    "reader_proposals": ("建议", "Proposals"),
    "reader_sentence": ("原文", "Sentence"),
    "reader_proposal": ("建议内容", "Proposal"),
    "reader_accept": ("接受", "Accept"),
    "reader_reject": ("拒绝", "Reject"),
    "reader_pending": ("待审核", "pending"),
    "reader_accepted": ("已接受", "accepted"),
    "reader_rejected": ("已拒绝", "rejected"),
    "reader_duplicate": ("目录中已有相同目标", "already in the catalog as"),
    "reader_new_indicator": ("新指标：填写指标代码后接受", "New indicator: give it a code, then accept"),
    "reader_download": ("下载该规划的目录数据文件（YAML）", "Download the plan's catalog data file (YAML)"),
    "reader_line": ("行", "line"),
    "reader_confidence": ("置信度", "Confidence"),
    "reader_kind_target": ("目标", "target"),
    "reader_kind_baseline": ("基期值", "baseline"),
    "reader_none": ("未发现量化目标。", "No quantitative targets found."),
    "reader_back": ("返回", "Back"),
    "reader_note": ("备注", "Note"),
    "reader_admins_only": ("只有管理员可以审核规划读取结果", "Only administrators may review plan readings"),
    "reader_chars": ("字", "characters"),
    "reader_ref_year": ("参照年", "Reference year"),
    "in_chinese": ("中文", "in Chinese"),
    "confidence_high": ("高", "high"),
    "confidence_medium": ("中", "medium"),
    "confidence_low": ("低", "low"),
    "csrf": (
        "页面已过期或来源不明，请刷新页面后重新提交。",
        "This form has expired or did not come from this site: reload the page and submit it again.",
    ),
    "reader_low": ("下限", "low"),
    "reader_high": ("上限", "high"),
    "comparator_>=": ("≥ 不低于", "≥ at least"),
    "comparator_<=": ("≤ 不高于", "≤ at most"),
    "comparator_=": ("= 等于", "= exactly"),
    "comparator_~": ("约 / 左右", "about"),
    "comparator_range": ("区间", "range"),
    "form_level": ("水平值", "level"),
    "form_share": ("比重", "share"),
    "form_ratio": ("比值", "ratio"),
    "form_avg_annual_growth": ("年均增长", "average annual growth"),
    "form_annual_growth": ("当年增长", "annual growth"),
    "form_relative_change": ("较基期变化", "change from a reference year"),
    "form_multiple": ("倍数（翻番）", "multiple (doubling)"),
    "form_cumulative": ("累计", "cumulative"),
    "form_full_coverage": ("全覆盖", "full coverage"),
    "form_each_year": ("逐年", "each year"),
    # issue 16's leftovers (H16): punctuation, and texts that were inline in templates and handlers
    "semicolon": ("；", "; "),
    "enum_sep": ("、", ", "),
    "year_heading": ("年", " "),  # 2026年年度评估 / 2026 Annual evaluation
    "region_example": ("嘉善县", "Jiashan"),
    "indicator_example": ("研发投入强度", "R&D intensity"),
    "organisation_filter": ("责任单位", "Organisation"),
    "code_or_name": ("代码或名称", "code or name"),
    "file_too_large": (
        "文件超过 {mb} MB 上限，未作任何更改",
        "the file exceeds {mb} MB; nothing was changed",
    ),
    "issued_on": ("{day}发布", "issued {day}"),
    "review_state_submitted": (
        "待审核",
        "submitted, awaiting review",
    ),  # a figure's review state, in a sentence
    "review_state_approved": ("已审核", "approved"),
    "review_state_returned": ("退回", "returned"),
    "points_n": ("{n}个百分点", "{n} pp"),
    "year_n": ("{year}年", "{year}"),
    "prelim_mark": ("（初步）", " (prelim.)"),
    "provisional_title": ("【暂定·含待审核数据】{title}", "[Provisional] {title}"),
    "full_stop": ("。", "."),
    "value_in_year": ("{year}年 {value}", "{value} ({year})"),
    "unknown_region_filter": (
        "本规划没有名称或代码为“{given}”的地区：请从“地区”列表中选择",
        "This plan has no region named or coded “{given}”: pick one from the Region list",
    ),
    "reader_region_picker": (
        "规划地区（可空，默认从名称识别）",
        "Region of the plan (optional; read from the title)",
    ),
    "reader_plan_code_hint": (
        "新规划自拟代码；补充已有规划时从列表中选择",
        "a new code for a new plan; pick from the list to add to a plan in the catalog",
    ),
    "reader_unknown_region": (
        "没有名称或代码为“{given}”的地区：请从列表中选择，或留空由系统从规划名称识别",
        "No region is named or coded “{given}”: pick one from the list, or leave it empty to read it from the title",
    ),
    # results of a save (issue 16): what happened, in words, and why nothing was saved
    "saved_counts": (
        "已保存 {n} 条（新增 {added}，修订 {revised}）",
        "Saved {n} (added {added}, revised {revised})",
    ),
    "unchanged_counts": (
        "另有 {n} 条与已存数值相同，未重复保存",
        "{n} more equal the stored figures and were not saved again",
    ),
    "nothing_saved": ("未保存任何数据", "Nothing was saved"),
    "nothing_entered": ("没有填写任何数值", "no value was entered"),
    "all_unchanged": ("所填 {n} 条与已存数值相同", "the {n} figure(s) equal the stored ones"),
    "batch_refused": (
        "{bad} 条有问题，整批未保存（其余 {rest} 条也未保存）；请修改后重新提交，已填内容已保留",
        "{bad} row(s) have problems, so the whole batch was refused (the other {rest} were not saved "
        "either); correct them and submit again: what you entered is kept",
    ),
    "file_refused": (
        "{bad} 行有问题，整个文件未保存（其余 {rest} 行也未保存）；请修改文件后重新上传",
        "{bad} row(s) have problems, so nothing from the file was saved (nor the other {rest}); "
        "correct the file and upload it again",
    ),
    "dry_run_ok": (
        "试运行，未写入任何数据：提交后将保存 {n} 条（新增 {added}，修订 {revised}）",
        "Dry run, nothing written: submitting would save {n} (add {added}, revise {revised})",
    ),
    "dry_run_refused": (
        "试运行，未写入任何数据：{bad} 条有问题，提交时整批将被拒绝",
        "Dry run, nothing written: {bad} row(s) have problems; the batch would be refused",
    ),
    "row_n": ("第 {n} 行", "Row {n}"),
    "outcome_rejected": ("不能保存", "refused"),
    "outcome_added": ("新增", "added"),
    "outcome_revised": ("修订", "revised"),
    "outcome_unchanged": ("与已存数值相同", "unchanged"),
    "outcome_pending": ("待处理", "pending"),
    "outcome_needs_confirmation": ("需确认", "needs confirmation"),
    "reselect_file": (
        "请修改后重新选择文件上传（浏览器不保留已选文件）",
        "Correct it and choose the file again (browsers do not keep a chosen file)",
    ),
    "field_indicator": ("指标", "indicator"),
    "field_region": ("地区", "region"),
    "field_period": ("年份", "year"),
    "field_value": ("数值", "value"),
    "field_unit": ("单位", "unit"),
    "field_status": ("状态", "status"),
    "field_source": ("来源", "source"),
    "field_source_url": ("来源链接", "source link"),
    "field_note": ("备注", "note"),
    "field_revision_reason": ("修订原因", "revision reason"),
    "field_published": ("发布日期", "publication date"),
    "field_coverage": ("覆盖期", "part of the year"),
    "field_confirm": ("确认", "confirmation"),
    "field_series_break": ("统计口径调整", "series break"),
    # error pages for browsers
    "error_bad_request": ("请求无法处理", "The request cannot be handled"),
    "error_conflict": ("与现有数据冲突", "It conflicts with what is stored"),
    "error_busy": ("服务繁忙", "The service is busy"),
    "error_server": ("服务器出错", "Something went wrong on the server"),
    "error_status": ("状态码", "Status"),
    "back_previous": ("返回上一页", "Back to the previous page"),
    "back_home": ("返回总览", "Back to the overview"),
    "page_missing": (
        "找不到该页面：地址可能有误，或该页面已不存在",
        "There is no page at this address: it may be mistyped or gone",
    ),
    "method_not_allowed": ("该页面不支持此操作", "This page does not support this action"),
    "bad_parameter": ("地址中的参数有误：{names}", "The address has a wrong parameter: {names}"),
    "server_error": (
        "服务器内部错误，已记录；请稍后重试或联系管理员",
        "An internal error occurred and has been logged; try again later or tell an administrator",
    ),
    "pick_hint": (
        "输入名称或代码查找，每格一个，留空为全部",
        "type a name or code to search, one per box; empty = all",
    ),
    "pick_region": ("选择地区", "Choose a region"),
    "pick_indicator": ("选择指标", "Choose an indicator"),
    # chat channels
    "channel": ("接收渠道", "Channel"),
    "channel_email": ("电子邮件", "E-mail"),
    "channel_wecom": ("企业微信群机器人", "WeCom group robot"),
    "channel_dingtalk": ("钉钉群机器人", "DingTalk group robot"),
    "channel_webhook": ("本单位系统（签名推送）", "Webhook (your own system)"),
    "channel_url": ("机器人或推送地址", "Robot or webhook URL"),
    "channel_url_hint": (
        "企业微信、钉钉：在群设置→群机器人中复制完整的机器人地址；保存后不再显示",
        "WeCom, DingTalk: copy the whole webhook URL from the group's robot settings; not shown again once saved",
    ),
    "channel_secret": ("签名密钥", "Signing secret"),
    "channel_secret_hint": (
        "钉钉启用“加签”时填写；本单位系统必填，至少 16 个字符；企业微信留空；保存后不再显示",
        "DingTalk with signing on (the secret starts with SEC); required for a webhook, at least 16 characters; empty for WeCom; not shown again once saved",
    ),
    "channel_email_hint": ("仅“电子邮件”渠道使用", "for the e-mail channel only"),
    "send_test": ("发送测试消息", "Send a test message"),
    "test_delivered": ("测试消息已送达：{words}", "Test message delivered: {words}"),
    "test_failed": ("测试消息未送达：{words}", "Test message not delivered: {words}"),
    "delivery_failed": (
        "最近一次发送失败，已停止重试：{error}",
        "The last message failed and is not retried: {error}",
    ),
    # assignment / evidence (issue 21: progress statements and supporting files on the target page)
    "statements_title": ("进展情况与支撑材料", "Progress statements and supporting files"),
    "statement_for_year": ("{year}年进展", "Progress in {year}"),
    "statement_version": ("第{n}版", "version {n}"),
    "statement_none": ("尚无进展情况说明", "No progress statement yet"),
    "statement_history": ("已更正的早先版本", "Earlier versions, since corrected"),
    "statement_year": ("所述年份", "Year it speaks for"),
    "statement_corrects": ("更正", "Corrects"),
    "statement_new": ("新说明（不更正已有说明）", "a new statement (corrects none)"),
    "statement_text": ("进展情况说明", "Progress statement"),
    "statement_files": (
        "支撑材料（PDF、DOCX、PNG、JPEG，每个不超过 {mb} MB，可多选）",
        "Supporting files (PDF, DOCX, PNG, JPEG; up to {mb} MB each; several at once)",
    ),
    "statement_submit": ("提交说明", "Record the statement"),
    "statement_saved": ("进展情况说明已保存", "The progress statement is saved"),
    "statement_login": ("登录后可填写进展情况", "Log in to record progress"),
    "annual_link": ("年度评估与预警", "Annual evaluation and warnings"),
}


def t(key: str, lang: str) -> str:
    zh, en = TEXTS.get(key, (key, key))
    return en if lang == "en" else zh


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[1] if lang == "en" else pair[0]


def _locale(lang: str) -> str:
    return LOCALES["en" if lang == "en" else "zh"]


def number(
    value: float | Decimal | int | str | None, lang: str, digits: int | None = None, *, group: bool = True
) -> str:
    """A figure as people write it: grouped thousands, no trailing zeros, never an exponent
    (4.10000000 → 4.1, 1.5E+2 → 150, 142351.5 → 142,351.5). With ``digits``, at most that many decimals
    (a stored figure: digits=6 shows it as entered); without, four significant digits but every digit of
    the whole part (a computed figure: 3.56441 → 3.564, 12345.67 → 12,346). None is an empty string."""
    if value is None or value == "":
        return ""
    d = Decimal(str(value))
    if digits is None:
        digits = 0 if d == 0 or not d.is_finite() else max(0, 3 - d.adjusted())
    pattern = ("#,##0" if group else "0") + ("." + "#" * digits if digits > 0 else "")
    return str(format_decimal(d, format=pattern, locale=_locale(lang)))


def percent(fraction: float | Decimal | None, lang: str, digits: int = 1, *, fixed: bool = False) -> str:
    """A fraction as a percentage (2.875 → 287.5%); None is an empty string. ``fixed`` keeps trailing
    zeros (a table column: 5.0%)."""
    if fraction is None:
        return ""
    pattern = "#,##0" + ("." + ("0" if fixed else "#") * digits if digits > 0 else "") + "%"
    return str(format_percent(Decimal(str(fraction)), format=pattern, locale=_locale(lang)))


def local_time(moment: dt.datetime) -> dt.datetime:
    """A stored time (UTC; SQLite gives it back without a zone) in Beijing time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(BEIJING)


def when(moment: dt.datetime | str | None, lang: str) -> str:
    """A stored time (or its ISO text, as the API gives it) as a Beijing-time date and minute in the
    locale's words: 2026年12月4日 23:34 / Dec 4, 2026, 11:34 PM. Never seconds, microseconds or an ISO
    string."""
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    local = local_time(moment)
    locale = _locale(lang)
    sep = ", " if lang == "en" else " "
    return f"{format_date(local, 'medium', locale=locale)}{sep}{format_time(local, 'short', locale=locale)}"


def day(value: dt.date | dt.datetime | None, lang: str) -> str:
    """A date in the locale's words (2026年12月4日 / Dec 4, 2026); a time is first put in Beijing time."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = local_time(value).date()
    return str(format_date(value, "medium", locale=_locale(lang)))


# --- notes of the methodology ------------------------------------------------------------------
# Assessments carry their notes in English as stored in a report run (service/domain/progress.py,
# service/reports/engine.py); a Chinese page shows them through this table, so runs stored before keep
# reading in Chinese too. Each pattern matches one note as written there; its groups fill the Chinese.
NOTES_ZH: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern + r"$"), zh)
    for pattern, zh in (
        (r"no value for (\d+); the chain stops at (\d+)", "{0}年无数值，连乘至{1}年为止"),
        (
            r"the average rate of (\d+)–(\d+) does not join the chain at (\d+); the chain stops at (\d+)",
            "{0}—{1}年的年均增速无法在{2}年接入连乘，连乘至{3}年为止",
        ),
        (
            r"the average annual rate of (\d+)–(\d+) \((\S+) %\) stands for those years",
            "{0}—{1}年的年均增速（{2}%）代表这些年份",
        ),
        (
            r"rate (\S+) % in (\d+) cannot be chained; the chain stops at (\d+)",
            "{1}年增速{0}%无法连乘，连乘至{2}年为止",
        ),
        (
            r"no value for the target year (\d+): the verdict rests on (\d+)",
            "目标年{0}年无数值：结论依据{1}年数值",
        ),
        (r"values after the target year (\d+) are not used", "目标年{0}年之后的数值不予采用"),
        (
            r"annual rates chained into an index \((\d+) = 100\); rates are never fed to a CAGR",
            "年度增速连乘为指数（{0}年 = 100），增速不直接计算年均增速",
        ),
        (r"yearly additions summed from (\d+) \((\d+) = 0\)", "自{0}年起逐年累加（{1}年 = 0）"),
        (
            r"no base year; the earliest observation \((\d+)\) is used as the base",
            "无基期年：以最早数值（{0}年）为基期",
        ),
        (
            r"base year (\d+) has no value; the nearest later year (\d+) is used",
            "基期年{0}年无数值，采用其后最近的{1}年",
        ),
        (
            r"end-of-term verdict on the (\d+) value alone: no value for (.+) or later before (\d+)",
            "末期结论仅依据{0}年数值：{2}年前没有{1}及以后的数值",
        ),
        (r"each year of (\d+)–(\d+) must meet the value on its own", "{0}—{1}年每一年都须达到该值"),
        (
            r"x_t = (\S+) is beyond the band on the better side: counted as achieved",
            "最新值 {0} 优于目标区间：视为已实现",
        ),
        (
            r"no value for (\d+) or later: the verdict rests on (\d+), when the target was met early",
            "{0}年及以后无数值：结论依据{1}年（当年已提前实现）",
        ),
        (
            r"the target year (\d+) has passed with no value for \d+ or later: no end-of-term verdict; expected \(预计\) at \d+: (\S+)",
            "目标年{0}年已过，尚无{0}年及以后的数值，暂无末期结论；预计{0}年为 {1}",
        ),
        (
            r"the target year (\d+) has passed with no value for \d+ or later: no end-of-term verdict",
            "目标年{0}年已过，尚无{0}年及以后的数值，暂无末期结论",
        ),
        (r"met at the base year (\d+) but not at (\d+)", "基期{0}年已达到，{1}年未达到"),
        (
            r"pace ratio needs values > 0; status from the linear schedule ratio P/τ",
            "速度比需要正数值：状态按线性序时比 P/τ 判断",
        ),
        (r"(\d+): (\S+) does not meet (\S+)", "{0}年：{1} 未达到 {2}"),
        (
            r"a year of the period fell short: the end-of-term verdict can no longer be achieved",
            "期间已有一年未达到：末期结论已不可能为已实现",
        ),
        (r"met in (\d+) but not in (\d+)", "{0}年已达到，{1}年未达到"),
        (
            r"no ratio to the required level \(values <= 0\); the year is short of it",
            "数值非正，无法与要求水平比较：该年按未达到计",
        ),
        (r"the target has no binding value", "目标没有约束数值"),
        (
            r"declared form '?(.+?)'? is not defined for a growth-rate indicator",
            "增速类指标不适用“{0}”表述形式",
        ),
        (
            r"no value for the reference year (\d+); the target level cannot be derived",
            "参照年{0}年无数值，无法推算目标水平",
        ),
        (r"no value for ([\d, ]+): every year of (\d+)–(\d+) counts", "{0}年无数值：{1}—{2}年每一年都计入"),
        (r"base year (\d+) is not before the target year (\d+)", "基期年{0}年不早于目标年{1}年"),
        (r"no reference year or plan base year: the period is unknown", "没有参照年或规划基期年：期间未知"),
        (
            r"no reference year or plan base year: the target level is undefined",
            "没有参照年或规划基期年：目标水平无法确定",
        ),
        (r"no data", "暂无数据"),
        (r"no value in or after the base year (\d+)", "基期年{0}年及以后没有数值"),
        (r"no value before the target year (\d+)", "目标年{0}年之前没有数值"),
        (
            r"the target level needs a positive base value \(x_(\d+) = (\S+)\)",
            "目标水平需要正的基期值（{0}年为 {1}）",
        ),
        (r"the tolerance band has no level", "目标区间没有数值"),
        (
            r"a yearly target needs period_start \(the first year it must hold\)",
            "逐年目标需要起始年（须达到的第一年）",
        ),
        (r"period_start (\d+) is after the target year (\d+)", "起始年{0}年晚于目标年{1}年"),
        (r"fewer than 2 points in \[(\d+|None), (\d+)\]", "{0}—{1}年不足两个数值"),
        (r"series break in (.+) inside the window", "{0}年统计口径调整，位于评估区间内"),
        (r"no pace measure: the target level equals the base value", "目标水平等于基期值，无法衡量进度"),
        (r"no value yet for any year of (\d+)–(\d+)", "{0}—{1}年尚无任何数值"),
        (
            r"rates and indices without components are not aggregated over a zone; see its members",
            "无分子分母的比率和指数不按区域汇总，请查看各成员地区",
        ),
        (
            r"ratio of summed (\S+) to summed (\S+) over (\d+) members",
            "{2}个成员地区的 {0} 合计与 {1} 合计之比",
        ),
        (
            r"sum over (\d+) member regions \(years where every member has data\)",
            "{0}个成员地区合计（仅各成员均有数据的年份）",
        ),
        (
            r"定性目标，不作数值评估 / qualitative target: shown with its words, not assessed numerically",
            "定性目标，不作数值评估",
        ),
    )
)


def note(text: str, lang: str) -> str:
    """One of an assessment's notes in the page's language (stored in English; see NOTES_ZH)."""
    if text.startswith("定性目标，不作数值评估 / "):
        return text.split(" / ", 1)[0 if lang != "en" else 1]
    if lang == "en":
        return text
    own = re.match(r"the zone's own figures for ([\d, ]+); other years: (.+)$", text)
    if own:  # a zone's series: its own figures, the rest from its members (service/reports/engine.py)
        return f"{own.group(1)}年采用该区域自身数据；其他年份：{note(own.group(2), lang)}"
    for pattern, zh in NOTES_ZH:
        m = pattern.match(text)
        if m:
            return zh.format(*m.groups())
    return text


# --- units ---------------------------------------------------------------------------------------
# Units are stored as the plans write them (Chinese); English pages show them in English. A unit not
# listed is shown as stored (the page-language browser test names it).
UNITS_EN: dict[str, str] = {
    "%": "%",
    "‰": "‰",
    "元": "yuan",
    "万元": "10k yuan",
    "亿元": "100m yuan",
    "万亿元": "trillion yuan",
    "美元": "US dollars",
    "万美元": "10k US dollars",
    "亿美元": "100m US dollars",
    "人": "people",
    "万人": "10k people",
    "亿人": "100m people",
    "人次": "visits",
    "万人次": "10k visits",
    "亿人次": "100m trips",
    "名": "people",
    "名（个）": "",
    "家": "firms",
    "万家": "10k firms",
    "个": "",
    "万个": "10k",
    "项": "items",
    "件": "items",
    "所": "institutions",
    "座": "",
    "条": "lines",
    "条（段）": "sections",
    "支": "teams",
    "处": "sites",
    "场": "events",
    "户": "households",
    "张": "",
    "万张": "10k",
    "类": "categories",
    "起": "cases",
    "宗": "cases",
    "万宗": "10k parcels",
    "万套": "10k units",
    "万幢": "10k buildings",
    "公里": "km",
    "千米": "km",
    "万公里": "10k km",
    "米": "m",
    "平方米": "m²",
    "万平方米": "10k m²",
    "平方公里": "km²",
    "亩": "mu",
    "万亩": "10k mu",
    "万公顷": "10k ha",
    "吨": "t",
    "万吨": "10k t",
    "亿吨": "100m t",
    "万吨标煤": "10k tce",
    "标准箱": "TEU",
    "万标准箱": "10k TEU",
    "吨标准煤/万元": "tce per 10k yuan",
    "吨/万元": "t per 10k yuan",
    "立方米/万元": "m³ per 10k yuan",
    "平方米/万元": "m² per 10k yuan",
    "万元/人": "10k yuan per person",
    "人/亿元": "people per 100m yuan",
    "微克/立方米": "µg/m³",
    "万千瓦": "10 MW",
    "亿千瓦时": "100 GWh",
    "年": "years",
    "岁": "years",
    "小时": "hours",
    "分": "points",
    "指数": "index",
    "倍": "×",
    "年一遇": "-year return period",
    "公里/百平方公里": "km per 100 km²",
    "公里/万平方公里": "km per 10k km²",
    "1/10万": "per 100,000",
    "百分点": "pp",
    "个百分点": "pp",
    "EFLOPS": "EFLOPS",
    "套": "units",
    "万户": "10k households",
    "亿斤": "50k t",
    "万标箱": "10k TEU",
    "万TEU": "10k TEU",
}

# Units as Chinese pages write them, where plans write them otherwise (万TEU: 万标准箱); others as stored.
UNITS_ZH: dict[str, str] = {"TEU": "标准箱", "万TEU": "万标准箱"}


# a unit written right after the number, with no space, in English too
CLOSE_UNITS = frozenset({"", "%", "‰", "×"})


def unit(text: str | None, lang: str) -> str:
    """A unit as written after a number in the page's language: 亿元 / " 100m yuan"; % stays %.
    A unit not in UNITS_EN is shown as stored."""
    if not text or text == "None":
        return ""
    if lang != "en":
        return UNITS_ZH.get(text, text)
    if text not in UNITS_EN:
        return text
    words = UNITS_EN[text]
    return words if words in CLOSE_UNITS or words.startswith("-") else " " + words


def unit_name(text: str | None, lang: str) -> str:
    """A unit on its own (a column, an axis title): 亿元 / 100m yuan; a count without a unit: —."""
    shown = unit(text, lang).strip()
    return shown or ("—" if lang == "en" else (text or ""))


def paren(text: str, lang: str) -> str:
    """A parenthetical in the language's punctuation: （亿元） / " (100m yuan)"; empty text gives ""."""
    if not text:
        return ""
    return f" ({text})" if lang == "en" else f"（{text}）"


def colon(lang: str) -> str:
    return ": " if lang == "en" else "："


# --- why the plan reader proposes what it does (service/domain/plan_reader/reasons.py): a reason is stored
# as a code and its parameters and read in the page's language; {said}, {name}, {term}, {phrase}, {quote},
# {col}, {text} and {zone} are the plan's own words, quoted and marked as Chinese on English pages ---
READER_REASONS: dict[str, tuple[str, str]] = {
    "year_in_sentence": ("年份取自句中{said}", "year from {said} in the sentence"),
    "year_review": (
        "位于回顾上一规划期的段落（{year}年的成果）",
        "in a passage reviewing the previous plan period (results of {year})",
    ),
    "year_heading": ("年份取自标题{said}", "under the heading {said}"),
    "year_review_end": (
        "回顾部分未写年份：取上一规划期末（{year}年）",
        "undated in a review section: the end of the previous plan ({year})",
    ),
    "year_latest_in_section": (
        "未写年份：取所在章节最近的年份{year}年",
        "undated; the latest year in its section is {year}",
    ),
    "year_before_plan": (
        "未写年份：取规划印发前一年（{year}年）",
        "undated; the year before the plan ({year})",
    ),
    "year_horizon": ("未写年份：取规划期末{year}年", "no year stated; the plan's horizon {year}"),
    "goal_without_number": ("无数值的目标：{said}", "a goal without a number: {said}"),
    "list_of_figures": (
        "并列数值之一（{said}）；指标{how}",
        "one of a list of figures ({said}); indicator {how}",
    ),
    "indicator_earlier": ("指标见句中前文（{how}）", "indicator named earlier in the sentence ({how})"),
    "each_subject": ("共用同一数值（{said}）的对象之一", "one of the subjects sharing the figure ({said})"),
    "new_indicator": ("建议新增指标：{name}", "new indicator proposed: {name}"),
    "indicator_matched": ("指标匹配方式：{how}", "indicator matched by {how}"),
    "indicator_carried": (
        "指标沿用前一分句（{how}）",
        "indicator carried over from the clause before ({how})",
    ),
    "stretch_only": ("仅给出{said}值", "only a stretch ({said}) figure is given"),
    "read_at_least": ("{said}读作不少于{value}亿元", "{said} read as at least {value} 100m yuan"),
    "region_unknown": ("地区未识别", "region unknown"),
    "restated": ("第{line}行再次提及：{quote}", "restated at line {line}: {quote}"),
    "suggested_code": ("建议指标代码：{code}", "suggested indicator code: {code}"),
    "subjects_of": ("{said}的{n}个对象之一", "one of {n} subjects of {said}"),
    "announced": ("但原文称{n}项", "but {n} were announced"),
    "reference_before_plan": (
        "参照年取规划前一年（{year}年）",
        "reference year taken as the year before the plan ({year})",
    ),
    "per_member": ("{said}：{zone}每个成员各一", "{said}: one in each member of {zone}"),
    "table_row": ("指标表中的一行", "a row of an indicator table"),
    "table_column": ("年份{year}年取自表头{col}", "year {year} from the column {col}"),
    "no_figure": ("无数值：{text}", "no figure: {text}"),
    "attribute_binding": ("属性：约束性", "attribute: binding"),
    "attribute_anticipatory": ("属性：预期性", "attribute: anticipatory"),
    "applies_over": ("适用于{start}—{end}年", "applies over {start}–{end}"),
    # how an indicator was matched ({how} above)
    "how_name": ("名称一致", "name"),
    "how_synonym": ("同义词{term}", "synonym {term}"),
    "how_shortened": ("简称{term}", "shortened name {term}"),
    "how_share": ("按比重的分子和分母", "share of its components"),
    "how_part": ("{phrase}为{term}的一部分", "{phrase} as part of {term}"),
    "how_real": ("{how}；按可比价的实际增速", "{how}; a real growth rate (at comparable prices)"),
}


# --- the command line's messages (service/cli), in the language of --lang / YRDMON_LANG (default zh); the
# English ones read as they always did. Machine output (JSON, CSV) is not text and stays as it is ---
CLI_TEXTS: dict[str, tuple[str, str]] = {
    "error": ("错误：{message}", "error: {message}"),
    "problem": ("{zh}", "{en}"),  # a domain message given in both languages
    "list_sep": ("，", ", "),
    "semicolon": ("；", "; "),
    "var_dir": (
        "YRDMON_VAR_DIR：目录 {var} 不可写（{why}）",
        "YRDMON_VAR_DIR: directory {var!r} is not writable ({why})",
    ),
    "no_database": (
        "YRDMON_DATABASE_URL：无法连接数据库（{why}）",
        "YRDMON_DATABASE_URL: cannot connect to the database ({why})",
    ),
    "init_db_error": ("初始化时数据库出错：{why}", "database error during init: {why}"),
    "file_loaded": ("{name}：新增 {added}，修订 {revised}", "{name}: added {added}, revised {revised}"),
    "catalog_loaded": ("目录已载入：{parts}", "catalog loaded: {parts}"),
    "catalog_unchanged": ("目录无变化", "catalog unchanged"),
    "first_run": (
        "首次报告运行 {id}（数据截至 {as_of}）：已评估 {targets} 个目标",
        "first report run {id} as of {as_of}: {targets} targets assessed",
    ),
    "scheduler_waiting": ("调度器 {holder} 正在等待租约", "scheduler {holder} waiting for the lease"),
    "unknown_user": (
        "没有用户 {user}（可用 yrdmon users add 创建）",
        "unknown user {user} (create one with `yrdmon users add`)",
    ),
    "wide_too_large": ("{name}：宽表超过 {mb} MB 上限", "{name}: a wide table larger than {mb} MB"),
    "no_figures": ("{name}：没有可导入的数值", "{name}: no figures to import"),
    "outcome_added": ("新增", "added"),
    "outcome_revised": ("修订", "revised"),
    "outcome_unchanged": ("未变", "unchanged"),
    "outcome_rejected": ("不能保存", "rejected"),
    "outcome_needs_confirmation": ("需确认", "needs_confirmation"),
    "row_n": ("第 {n} 行", "row {n}"),
    "dry_run": ("试运行，未写入", "dry run"),
    "stored": ("已保存", "stored"),
    "refused": ("整批拒绝，未保存任何数据", "REFUSED, nothing stored"),
    "import_result": ("{name}：{counts}（{verdict}）", "{name}: {counts} ({verdict})"),
    "revision_requests": ("，其中修订申请 {n} 条", ", {n} revision request(s)"),
    "review_submitted": ("待审核", "submitted"),
    "review_approved": ("已审核", "approved"),
    "import_review": (
        "批次 {batch}：{n} 条数据{state}{revisions}（已启用数据审核：见 yrdmon review list）",
        "batch {batch}: {n} figure(s) {state}{revisions} (review is on: see `yrdmon review list`)",
    ),
    "bad_as_of": (
        "--as-of：{given} 不是日期，应写作 2026-10-31 或 2026-10-31T12:00",
        "--as-of: {given} is not a date such as 2026-10-31 or 2026-10-31T12:00",
    ),
    "recorded_until_future": ("--recorded-until 不能晚于现在", "--recorded-until cannot be later than now"),
    "run_done": (
        "报告运行 {id}，数据截至 {as_of}（录入截至 {recorded}）：{targets} 个目标（{counts}）",
        "run {id} as of {as_of} (recorded until {recorded}): {targets} targets ({counts})",
    ),
    "run_view_official": ("口径：正式（仅已审核数据）", "figures: official (approved only)"),
    "run_view_provisional": (
        "口径：暂定（含待审核数据）",
        "figures: provisional (PROVISIONAL: includes figures under review)",
    ),
    "digests_queued": (
        "已排队 {n} 封摘要邮件；yrdmon email send 可立即发送",
        "{n} digest e-mail(s) queued; `yrdmon email send` sends them now",
    ),
    "wrote": ("已写入 {path}（{n} 字节）", "wrote {path} ({n} bytes)"),
    "xlsx_needs_output": ("--format xlsx 需要 --output 文件名", "--format xlsx needs --output FILE"),
    "annual_needs_year": (
        "--kind annual 需要 --year（评估年份，如 --year 2026）",
        "--kind annual needs --year (the year evaluated, e.g. --year 2026)",
    ),
    "unknown_codes": (
        "{codes}：未知代码；不带筛选条件运行 yrdmon targets export，或打开 /plans，可查看全部代码",
        "{codes}: unknown code; see `yrdmon targets export` without filters, or /plans",
    ),
    "warnings_queued": (
        "{n} 个约束性目标存在风险；已排队 {queued} 封邮件",
        "{n} binding target(s) at risk; {queued} message(s) queued",
    ),
    "split_total": ("，合计 {total} {unit}", " total {total} {unit}"),
    "split_ok": ("无误", "ok"),
    "split_problem": ("有问题：{problems}", "PROBLEM: {problems}"),
    "split_line": (
        "{target}（{split}，{n} 个子目标{total}）：{state}",
        "{target} ({split}, {n} sub-targets{total}): {state}",
    ),
    "no_splits": ("没有分解的目标", "no split targets"),
    "user_created": ("已创建{role}用户 {username}", "created {role} {username}"),
    "token_once": (
        "API 令牌（只显示这一次，请妥善保存）：{token}",
        "API token (shown once, keep it safe): {token}",
    ),
    "password_set": (
        "{username} 的密码已设置；已结束 {ended} 个网页会话",
        "password of {username} set; {ended} web session(s) ended",
    ),
    "role_regions": ("，地区 {regions}", " for {regions}"),
    "role_set": (
        "{username} 现为 {role}{where}；已结束 {ended} 个网页会话",
        "{username} is now {role}{where}; {ended} web session(s) ended",
    ),
    "member_of": ("{username} 属于 {code}", "{username} belongs to {code}"),
    "member_of_none": ("{username} 不属于任何单位", "{username} belongs to no organisation"),
    "user_disabled": (
        "{username} 已停用；已结束 {ended} 个网页会话，API 令牌失效",
        "{username} disabled; {ended} web session(s) ended, API tokens refused",
    ),
    "user_enabled": ("{username} 已启用", "{username} enabled"),
    "token_for": (
        "{username} 的 API 令牌（只显示这一次，请妥善保存）：{token}",
        "API token for {username} (shown once, keep it safe): {token}",
    ),
    "token_revoked": ("{owner} 的令牌 {shown} 已撤销", "token {shown} of {owner} revoked"),
    "tokens_revoked": ("{username} 的 {n} 个令牌已撤销", "{n} token(s) of {username} revoked"),
    "subscription_made": (
        "订阅 {id}：{email}，{cadence}，{language}",
        "subscription {id}: {email}, {cadence}, {language}",
    ),
    "unsubscribe_link": ("退订链接：{link}", "unsubscribe link: {link}"),
    "test_message_sent": (
        "测试消息已送达订阅 {id}：{answer}",
        "test message to subscription {id} delivered: {answer}",
    ),
    "test_message_failed": (
        "测试消息未能送达订阅 {id}：{answer}",
        "test message to subscription {id} not delivered: {answer}",
    ),
    "subscriptions_n": ("共 {n} 个订阅", "{n} subscription(s)"),
    "subscription_removed": ("已删除订阅 {id}", "removed subscription {id}"),
    "test_not_sent": (
        "测试邮件未能经 {smtp} 发送到 {to}：{error}",
        "test message to {to} not sent via {smtp}: {error}",
    ),
    "test_sent": ("测试邮件已经 {smtp} 发送到 {to}", "test message sent to {to} via {smtp}"),
    "mail_sent": (
        "已发送 {sent}，推迟 {deferred}，失败 {failed}",
        "sent {sent}, deferred {deferred}, failed {failed}",
    ),
    "unknown_or_disabled_user": ("未知或已停用的用户 {username}", "unknown or disabled user {username}"),
    "review_on": ("已启用", "on"),
    "review_off": ("未启用（数据录入即计入）", "off (every figure counts when stored)"),
    "review_policy": (
        "数据审核：{state}；管理员录入即审核通过：{admin}；已发布统计数据录入即审核通过：{published}",
        "review: {state}; administrators' entries approved on entry: {admin}; published statistics approved on entry: {published}",
    ),
    "review_nothing": ("没有待审核的数据", "nothing awaits review"),
    "ids_or_batch": ("请给出数据编号或 --batch 之一", "give figure ids or --batch, not both"),
    "review_done": ("已{action} {n} 条数据", "{n} figure(s) {action}"),
    "reviewer_digests": ("已排队 {n} 封审核员摘要邮件", "{n} reviewer digest(s) queued"),
    "read_summary": (
        "{name}：{chars} 字，建议目标 {targets} 个、基期值 {baselines} 个{duplicates}",
        "{name}: {chars} characters, {targets} targets and {baselines} baselines proposed{duplicates}",
    ),
    "read_duplicates": ("；其中 {n} 个目录中已有", "; {n} already in the catalog"),
}


# --- the organisation and breakdown pages (service/web/responsibility.py) ---
RESPONSIBILITY_TEXTS: dict[str, tuple[str, str]] = {
    "organisations": ("责任单位", "Organisations"),
    "kind_department": ("部门", "department"),
    "kind_government": ("区县政府", "district government"),
    "kind_other": ("其他", "other"),
    "leads": ("牵头", "leads"),
    "supports": ("配合", "supports"),
    "shares": ("分解子目标", "sub-targets"),
    "accountable": ("负责的目标", "Targets it is accountable for"),
    "role": ("职责", "Role"),
    "lead": ("牵头单位", "Lead"),
    "support": ("配合单位", "Supporting"),
    "none_assigned": ("未明确", "not assigned"),
    "assign": ("分配目标责任", "Assign a target"),
    "plan": ("规划代码", "Plan code"),
    "key": ("目标键", "Target key"),
    "support_hint": ("配合单位（代码或名称，逗号分隔）", "Supporting (codes or names, comma-separated)"),
    "source": ("分解落实文件", "Assigning notice"),
    "save": ("保存", "Save"),
    "saved": ("已保存", "Saved"),
    "breakdown": ("目标分解与责任", "Breakdown and responsibility"),
    "sub_targets": ("子目标", "Sub-targets"),
    "split_sum": ("配额合计须达到上级目标", "quotas must add up to the parent"),
    "split_each": ("各子目标均须达到上级目标", "each sub-target must meet the parent"),
    "holding_back": ("拖后腿的子目标", "Sub-targets holding it back"),
    "none_behind": ("没有落后的子目标", "No sub-target is behind"),
    "quota_ok": ("配额核对无误", "The quotas hold together"),
    "milestones": ("年度目标", "Yearly milestones"),
    "schedule": ("序时进度路径", "Schedule path (序时进度)"),
    "position_ahead": ("快于序时进度", "ahead of schedule"),
    "position_on_path": ("与序时进度一致", "on the schedule path"),
    "position_behind": ("慢于序时进度", "behind schedule"),
    "annual": ("年度评估", "Annual evaluation"),
    "year": ("年份", "Year"),
    "year_targets": ("年度目标完成情况", "The year's targets"),
    "later_targets": ("规划目标序时进度", "Plan targets against their schedule"),
    "warnings": ("预警：完成存在困难的约束性目标", "Early warning: binding targets at risk"),
    "no_warnings": ("没有需要预警的约束性目标", "No binding target is at risk"),
    "why": ("原因", "Why"),
    "status": ("状态", "Status"),
    "value": ("目标", "Target"),
    "indicator": ("指标", "Indicator"),
    "region": ("地区", "Region"),
    "organisation": ("单位", "Organisation"),
    "all": ("全部", "all"),
    "show": ("查看", "Show"),
    "download": ("下载报告：", "Download the report:"),
    "forbidden": (
        "只有管理员（规划办）可以分配目标责任",
        "Only administrators (the plan office) assign targets",
    ),
    "not_assessed": ("未评估", "not assessed"),
    # assignment / evidence (issue 21: the plan office's forms on the breakdown page)
    "target_pick": ("目标", "Target"),
    "support_pick": ("配合单位（可多选）", "Supporting (several can be picked)"),
    "source_example": (
        "如：《…“十五五”规划纲要主要目标任务分解落实方案》",
        "e.g. the notice that assigns the plan's main targets",
    ),
    "add_subtarget": ("添加区县配额（子目标）", "Add a district quota (sub-target)"),
    "district": ("区县", "District"),
    "quota": ("配额或目标值", "Quota or target value"),
    "split_rule": ("分解方式", "How it is split"),
    "split_document": ("分解文件", "Splitting document"),
    "quote": ("原文", "Its sentence"),
    "no_districts": (
        "该地区下没有尚未分配配额的区县",
        "No district below this region is left without a quota",
    ),
    "add_milestone": ("录入年度目标", "Enter a year's target"),
    "milestone_source": ("出处", "From"),
    "yearly_plan": ("年度国民经济和社会发展计划", "the yearly plan"),
    "work_report": ("政府工作报告", "the government work report"),
    "milestone_document": ("文件名称", "Document title"),
    "milestone_document_example": (
        "如：南京市2026年国民经济和社会发展计划",
        "e.g. Nanjing 2026 economic and social development plan",
    ),
    "milestone_form": ("目标形式", "The year's target sets"),
    "form_annual_growth": ("当年增速（%）", "the year's growth (%)"),
    "form_level": ("年末水平", "the level at year end"),
    "form_share": ("比重或比率（%）", "a share or rate (%)"),
    "comparator": ("比较", "Compared as"),
    "comparator_ge": ("不低于", "at least"),
    "comparator_le": ("不高于", "at most"),
    "comparator_about": ("左右", "about"),
    "comparator_eq": ("等于", "exactly"),
    "value_ge": ("不低于{v}", "at least {v}"),
    "value_le": ("不高于{v}", "at most {v}"),
    "value_about": ("{v}左右", "about {v}"),
    "milestone_value": ("数值", "Value"),
    "milestone_quote_example": ("如：地区生产总值增长5%左右", "e.g. GDP grows by about 5%"),
    "saved_subtarget": ("子目标已添加，配额核对见下", "The sub-target is added; the quota check is below"),
    "saved_milestone": ("年度目标已录入", "The year's target is entered"),
}


# --- the review pages (service/web/review_pages.py) ---
REVIEW_TEXTS: dict[str, tuple[str, str]] = {
    "title": ("数据审核", "Review"),
    "off": (
        "本系统未启用数据审核：数据录入后即计入。管理员可用 yrdmon review policy --on 启用。",
        "Review is off: figures count as soon as they are stored. An administrator can switch it on "
        "(yrdmon review policy --on).",
    ),
    "queue": ("待我审核的数据", "Figures awaiting my review"),
    "returned": ("退回给我的数据", "Figures returned to me"),
    "none": ("没有数据。", "None."),
    "figure": ("数据", "Figure"),
    "value": ("报送值", "Value"),
    "in_force": ("现行值（已审核）", "In force (approved)"),
    "neighbours": ("相邻年份", "Neighbouring years"),
    "flags": ("提示", "Flags"),
    "by": ("填报人", "Entered by"),
    "submitted": ("报送时间", "Submitted"),
    "batch": ("批次", "Batch"),
    "comment": ("意见", "Comment"),
    "comment_hint": ("退回或重新报送须填写", "needed to return or resubmit"),
    "approve": ("审核通过所选", "Approve selected"),
    "return": ("退回所选", "Return selected"),
    "resubmit": ("重新报送所选", "Resubmit selected"),
    "approve_batch": ("整批审核通过", "Approve the whole batch"),
    "return_batch": ("整批退回", "Return the whole batch"),
    "revision": ("修订申请", "revision request"),
    "new": ("新报送", "new"),
    "history": ("审核记录", "Review history"),
    "select": ("选择", "Select"),
    "done": ("已处理 {n} 条数据。", "{n} figure(s) done."),
    "correct": (
        "更正请到数据填报或批量导入，重新提交即进入审核。",
        "To correct a figure, enter it again (entry or upload); it goes to review again.",
    ),
    "version": ("版本", "Version"),
    "steps": ("审核步骤", "Review steps"),
    "reason": ("修订原因", "Revision reason"),
    "state_submitted": ("待审核", "submitted"),
    "state_approved": ("已审核", "approved"),
    "state_returned": ("退回", "returned"),
    "no_steps": ("录入时未启用审核（视同已审核）", "stored while review was off (counts as approved)"),
    "forbidden": (
        "只有审核员、填报人员或管理员可以使用本页。",
        "Only reviewers, editors and administrators can use this page.",
    ),
    "batch_filter": ("只看批次", "Only batch"),
    "all": ("全部", "all"),
}


# --- the progress e-mail (service/notify/digest.py), per language ---
DIGEST_TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "规划目标监测 · 进展摘要",
        "as_of": "截至",
        "run": "报告运行",
        "scope": "订阅范围",
        "plans": "规划",
        "regions": "地区",
        "indicators": "指标",
        "all": "全部",
        "cadence": "频率",
        "changes": "一、自上次摘要以来的变化",
        "since": "与 {date} 的报告相比",
        "first": "首次摘要：与上一次报告运行相比",
        "no_previous": "这是第一次报告运行，以下为当前全部进展",
        "nothing": "自上次摘要以来，订阅范围内没有变化。",
        "headline": "共 {total} 项目标有变化：新实现 {achieved} 项，新落后于序时进度 {behind} 项，其他状态变化 {other} 项，其他更新（状态未变）{figures} 项。",
        "achieved": "新实现的目标",
        "behind": "新落后于序时进度的目标",
        "status": "其他状态变化",
        "figures": "其他更新（状态未变）",
        "reason": "原因",
        "summary": "二、按状态汇总",
        "targets_n": "共 {n} 项目标",
        "targets": "三、各项目标",
        "latest": "最新值",
        "target": "目标",
        "time": "时间进度",
        "done": "完成进度",
        "schedule": "序时进度",
        "needed": "所需增速",
        "chart": "查看图表",
        "no_data": "暂无数据",
        "unsubscribe": "退订此摘要",
        "footer": "本邮件由规划目标监测系统自动发送，请勿直接回复。",
        "manage": "订阅编号 {id}；可在系统中或用 yrdmon subscriptions 管理订阅。",
        "none_in_scope": "订阅范围内没有目标。",
        "subject_changed": "【规划目标监测】{n}项目标有变化 · 截至{date}",
        "subject_plain": "【规划目标监测】进展摘要 · 截至{date}",
        "colon": "：",
        "semi": "；",
        "lp": "（",
        "rp": "）",
    },
    "en": {
        "title": "Plan-target monitoring · progress digest",
        "as_of": "As of",
        "run": "report run",
        "scope": "Scope",
        "plans": "plans",
        "regions": "regions",
        "indicators": "indicators",
        "all": "all",
        "cadence": "Cadence",
        "changes": "1. What changed since your last digest",
        "since": "compared with the report as of {date}",
        "first": "first digest: compared with the previous report run",
        "no_previous": "this is the first report run; everything below is current",
        "nothing": "Nothing in your scope has changed since your last digest.",
        "headline": "{total} targets changed: {achieved} newly achieved, {behind} newly behind schedule, {other} other status changes, {figures} other updates without a status change.",
        "achieved": "Newly achieved",
        "behind": "Newly behind schedule",
        "status": "Other status changes",
        "figures": "Other updates (status unchanged)",
        "reason": "reason",
        "summary": "2. Summary by status",
        "targets_n": "{n} targets",
        "targets": "3. Every target",
        "latest": "Latest",
        "target": "Target",
        "time": "Time elapsed",
        "done": "Completion",
        "schedule": "Schedule",
        "needed": "Rate needed",
        "chart": "Chart",
        "no_data": "no data yet",
        "unsubscribe": "Unsubscribe from this digest",
        "footer": "Sent automatically by the plan-target monitoring service; replies are not read.",
        "manage": "Subscription {id}; manage it in the service or with yrdmon subscriptions.",
        "none_in_scope": "There are no targets in your scope.",
        "subject_changed": "[YRD plan monitoring] {n} targets changed · as of {date}",
        "subject_plain": "[YRD plan monitoring] Progress digest · as of {date}",
        "colon": ": ",
        "semi": "; ",
        "lp": " (",
        "rp": ")",
    },
}


# --- data-entry reminders and completeness summaries (service/notify/reminders.py), per language ---
REMINDER_TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "due_subject": "【规划目标监测】数据报送提醒：{region} {year}年数据请于{due}前报送（尚缺{n}项）",
        "overdue_subject": "【规划目标监测】数据逾期：{region} {year}年数据已过报送期限{due}（尚缺{n}项）",
        "summary_subject": "【规划目标监测】{year}年数据报送完成情况（期限{due}）：已报 {done}/{total} 项",
        "hello": "{name}，您好：",
        "due_intro": "{region}{year}年的以下统计数据应于 {due} 前报送（还有 {days} 天），系统中尚未收到：",
        "overdue_intro": "{region}{year}年的以下统计数据报送期限为 {due}，已逾期 {days} 天，系统中仍未收到：",
        "summary_intro": "{year}年统计数据报送期限 {due} 已过。各地区完成情况如下（按完成率从低到高）：",
        "indicator": "指标",
        "code": "代码",
        "unit": "单位",
        "region": "地区",
        "expected": "应报",
        "received": "已报",
        "approved": "已审核",
        "submitted": "待审核",
        "rate": "完成率",
        "missing": "尚缺",
        "how": "报送方式：网页表单或文件上传（{base}），"
        "命令 yrdmon import 文件，或 API POST /api/v1/observations。",
        "footer": "本邮件由规划目标监测系统根据报送日历自动发送，请勿直接回复。",
        "all_done": "全部已报",
        "more": "等{n}项",
        "sep": "、",
        "colon": "：",
    },
    "en": {
        "due_subject": "[YRD plan monitoring] Data due: {region}'s {year} figures by {due} ({n} missing)",
        "overdue_subject": "[YRD plan monitoring] Overdue: {region}'s {year} figures were due {due} ({n} missing)",
        "summary_subject": "[YRD plan monitoring] {year} figures due {due}: {done} of {total} received",
        "hello": "Dear {name},",
        "due_intro": "These {year} figures for {region} are due by {due} ({days} days left) and have not been received:",
        "overdue_intro": "These {year} figures for {region} were due on {due} ({days} days ago) and have still not been received:",
        "summary_intro": "The {year} figures were due on {due}. Completeness by region (lowest first):",
        "indicator": "Indicator",
        "code": "Code",
        "unit": "Unit",
        "region": "Region",
        "expected": "Expected",
        "received": "Received",
        "approved": "approved",
        "submitted": "under review",
        "rate": "Complete",
        "missing": "Missing",
        "how": "Submit them with the web form or a file "
        "upload ({base}), `yrdmon import FILE`, or POST /api/v1/observations.",
        "footer": "Sent automatically from the reporting calendar of the plan-target monitoring service; replies are not read.",
        "all_done": "all received",
        "more": "and {n} more",
        "sep": ", ",
        "colon": ": ",
    },
}


# --- the evaluation report (Word, Excel, HTML; service/reports/evaluation_doc.py) ---
EVALUATION_LABELS: dict[str, tuple[str, str]] = {
    "indicator": ("指标（地区）", "Indicator (region)"),
    "target": ("目标", "Target"),
    "baseline": ("基期值（年份）", "Baseline (year)"),
    "latest": ("最新值（年份）", "Latest value (year)"),
    "verdict": ("结论", "Verdict"),
    "status": ("进展状态", "Status"),
    "shortfall": ("差额", "Shortfall"),
    "gap": ("距目标差距", "Gap to target"),
    "notes": ("备注", "Notes"),
    "as_of": ("数据截至", "Data as of"),
    "computed": ("计算时间", "Computed"),
    "run": ("报告运行", "Report run"),
    "method": ("方法版本", "Method version"),
    "summary": ("总体情况", "Summary"),
    "charts": ("重点目标走势", "Key targets"),
    "sources": ("资料来源", "Sources"),
    "chart_intro": ("下列图表取自本次报告运行所用的数据。", "The charts show the data the report run used."),
    "documents": ("规划文件", "Plan documents"),
    "statistics": ("统计数据来源", "Statistics sources"),
    "chapter": ("章节", "Chapter"),
    "region": ("地区", "Region"),
    "attribute": ("属性", "Attribute"),
    "target_year": ("目标年", "Target year"),
    "unit": ("单位", "Unit"),
    "base_value": ("基期值", "Baseline"),
    "base_year": ("基期年", "Base year"),
    "latest_value": ("最新值", "Latest value"),
    "latest_year": ("最新年份", "Latest year"),
    "preliminary": ("初步数据", "Preliminary"),
    "stretch_met": ("力争目标实现", "Stretch met"),
    "p_meet": ("实现概率", "P(meet)"),
    "source_quote": ("规划原文", "Plan sentence"),
    "count": ("项数", "Targets"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "legend": (
        "实线：实际值（空心点为初步数据）；虚线：基期至目标的序时路径；◆：目标值。",
        "Solid line: actual values (hollow point: preliminary); dashed: the straight path from the "
        "base to the target; ◆: the target.",
    ),
    "chart_note": ("图中数值单位：", "Unit of the figures: "),
    "generated": (
        "本报告由长三角规划目标监测系统根据报告运行的存储结果生成，数值均取自该次运行。",
        "Generated by the YRD plan-target monitoring service from the stored report run; every "
        "figure is the run's.",
    ),
    # assignment / evidence (issue 21: 支撑材料 in the evaluation documents)
    "materials": ("支撑材料", "Supporting materials"),
    "materials_intro": (
        "各责任单位报送的进展情况说明及附件；附件以 SHA-256 校验值标识，可在系统中下载核对。",
        "Progress statements from the responsible organisations with their attached files; each "
        "file is identified by its SHA-256 checksum and can be downloaded from the service.",
    ),
    "materials_none": ("尚无报送的进展情况说明。", "No progress statement has been recorded."),
    "statement_year": ("所述年份", "Year"),
    "statement": ("进展情况说明", "Progress statement"),
    "statement_by": ("报送人", "Recorded by"),
    "statement_at": ("报送日期", "Recorded on"),
    "files": ("附件", "Files"),
}
