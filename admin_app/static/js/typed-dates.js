/* Dates typed with the keyboard into the date pickers of forms and filters.
 *
 * Flask-Admin's picker (bootstrap-daterangepicker 1.3) reads the field on every
 * key and writes back what it makes of the first digits: "2" becomes 0002-01-01,
 * so no date could be typed. Here the field is read only once it holds whole
 * days, as ISO (2026-12-31) or in the user's order (31/12/2026 in Spanish,
 * 12/31/2026 in English); the calendar then shows that month, otherwise the
 * current one. What was typed stays as typed until the form is sent, when it is
 * written as ISO, so a filter's link reads the same in every language (a day
 * and month without a year as ISO writes them too: --12-20).
 * Escape closes the calendar. The calendar opens in the page's flow, under its
 * field: it pushes the next field down and never covers it.
 */
(function () {
  "use strict";
  var $ = window.jQuery;
  var moment = window.moment;
  var source = document.getElementById("picker-locale");
  if (!$ || !moment || !$.fn.daterangepicker || !source) { return; }
  var monthFirst = JSON.parse(source.textContent).monthFirst;

  var ISO = "YYYY-MM-DD";
  var order = monthFirst ? "M{s}D{s}YYYY" : "D{s}M{s}YYYY";
  var FORMATS = [ISO].concat(["/", ".", "-"].map(function (sep) {
    return order.split("{s}").join(sep);
  }));
  // Between the two days of a range: as the server reads it (filters.RANGE_SPLIT).
  var RANGE_SPLIT = /\s+(?:to|a|–|-)\s+/;
  // The picker's own inputs sit in our forms now: this names no form, so they
  // are never sent with ours.
  var NO_FORM = "date-picker-own-inputs";

  function readDay(text) {
    var day = moment(text.trim(), FORMATS, true);
    return day.isValid() ? day : null;
  }

  /* [first day, last day] of the field's text, or null while it is not whole days. */
  function readDays(text, single) {
    var parts = single ? [text] : text.trim().split(RANGE_SPLIT);
    if (parts.length !== (single ? 1 : 2)) { return null; }
    var first = readDay(parts[0]);
    var last = readDay(parts[parts.length - 1]);
    if (!first || !last || last.isBefore(first)) { return null; }
    return [first, last];
  }

  /* The calendar shows these days, without touching the field's text (and
   * without the picker writing it back when it closes). */
  function showDays(picker, days) {
    picker.startDate = days[0].clone().startOf("day");
    picker.endDate = days[1].clone().endOf("day");
    picker.oldStartDate = picker.startDate.clone();
    picker.oldEndDate = picker.endDate.clone();
    picker.updateView();
    picker.updateCalendars();
  }

  function followTheField($input, picker, atStart) {
    var text = $input.val();
    var days = readDays(text, picker.singleDatePicker);
    if (days) {
      showDays(picker, days);
    } else if (atStart || !text.trim()) {
      showDays(picker, [moment(), moment()]);
    }
  }

  function typeable(input) {
    var $input = $(input);
    var picker = $input.data("daterangepicker");
    if (!picker || picker.timePicker) { return; }  // days only: no form or filter asks a time
    picker.container.find("input").attr("form", NO_FORM);
    // In the page only while open: Flask-Admin's filter script looks for its
    // own rows and cells, which the calendar's table would otherwise add to.
    picker.container.detach();
    $input.on("show.daterangepicker", function () { picker.container.appendTo(picker.parentEl).show(); })
      .on("hide.daterangepicker", function () { picker.container.detach(); });
    $input.off("keyup.daterangepicker").off(".typeddates")
      .on("input.typeddates", function () { followTheField($input, picker, false); })
      .on("keydown.typeddates", function (event) {
        if (event.key === "Escape" && picker.isShowing) {
          event.preventDefault();
          picker.hide();
        }
      });
    followTheField($input, picker, true);
  }

  var create = $.fn.daterangepicker;
  $.fn.daterangepicker = function (options, callback) {
    return this.each(function () {
      var $input = $(this);
      var slot = $input.next(".date-picker-slot");
      if (!slot.length) { slot = $("<div class='date-picker-slot'></div>").insertAfter($input); }
      create.call($input, $.extend({}, options, {parentEl: slot}), callback);
      typeable(this);
    });
  };

  /* "20/12" (Spanish) or "12/20" (English) as ISO's month and day, "--12-20";
   * null when it is not a day and month. */
  function isoDayMonth(text) {
    var found = /^(\d{1,2})[\/.\-](\d{1,2})$/.exec(text.trim());
    if (!found) { return null; }
    var month = Number(monthFirst ? found[1] : found[2]);
    var day = Number(monthFirst ? found[2] : found[1]);
    if (month < 1 || month > 12 || day < 1 || day > 31) { return null; }
    return "--" + (month < 10 ? "0" : "") + month + "-" + (day < 10 ? "0" : "") + day;
  }

  // Sent as ISO, whichever way it was typed.
  $(document).on("submit", "form", function () {
    // "Birthday, any year" (filters.DayMonthRangeFilter): its days and months too.
    $(this).find("input[name$='_day_and_month_between']").each(function () {
      var parts = this.value.trim().split(RANGE_SPLIT).map(isoDayMonth);
      if (parts.length === 2 && parts.indexOf(null) < 0) { this.value = parts.join(" to "); }
    });
    $(this).find("input").each(function () {
      var picker = $(this).data("daterangepicker");
      var days = picker && readDays(this.value, picker.singleDatePicker);
      if (!days) { return; }
      this.value = picker.singleDatePicker ? days[0].format(ISO)
        : days[0].format(ISO) + picker.separator + days[1].format(ISO);
    });
  });
})();
